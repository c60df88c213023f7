/*
 * cli_serve.h - `quire serve`, and the users and tokens it knows
 * (`quire user add`, `quire token add`).
 */
#ifndef QUIRE_CLI_SERVE_H
#define QUIRE_CLI_SERVE_H

int cli_serve(int argc, char **argv);
int cli_user(int argc, char **argv);
int cli_token(int argc, char **argv);

#endif
