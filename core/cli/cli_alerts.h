/*
 * cli_alerts.h - the commands that manage a report's subscribers and
 * alerts in a state file: subscribe, subscriptions, alert, alerts.
 *
 * Each takes the arguments after its name and returns an exit status.
 */
#ifndef QUIRE_CLI_ALERTS_H
#define QUIRE_CLI_ALERTS_H

int cli_subscribe(int argc, char **argv);
int cli_subscriptions(int argc, char **argv);
int cli_alert(int argc, char **argv);
int cli_alerts(int argc, char **argv);

#endif
