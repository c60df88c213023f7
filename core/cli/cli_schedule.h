/*
 * cli_schedule.h - the scheduling commands: next, schedule, run-due, rerun,
 * history.
 *
 * Each takes the arguments after its name and returns an exit status.
 */
#ifndef QUIRE_CLI_SCHEDULE_H
#define QUIRE_CLI_SCHEDULE_H

int cli_next(int argc, char **argv);
int cli_schedule(int argc, char **argv);
int cli_history(int argc, char **argv);
int cli_run_due(int argc, char **argv);
int cli_rerun(int argc, char **argv);

#endif
