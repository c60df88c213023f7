/*
 * cli.h - what every command's argument parsing shares.
 */
#ifndef QUIRE_CLI_H
#define QUIRE_CLI_H

#include "error.h"

/* Print the error fmt (with arg) as the program's, then the usage; returns
 * QUIRE_EXIT_USAGE. */
int cli_usage_error(const char *usage, const char *fmt, const char *arg);
/* "-h" or "--help". */
int cli_is_help(const char *a);
/* a is the option: "--name", "-n" (shrt may be NULL) or "--name=VALUE". */
int cli_is_opt(const char *a, const char *lng, const char *shrt);
/* The option's value ("--name VALUE", "-n VALUE", "--name=VALUE"), advancing *i
 * past it. Returns NULL when argv[*i] is not the option, and also when the
 * value is missing, in which case *missing is set (missing may be NULL). */
const char *cli_opt(int argc, char **argv, int *i, const char *lng, const char *shrt,
                    int *missing);
/* Print err once, through quire_err_format (an error that names no where as
 * the program's, "quire"), and return its exit status. */
int cli_report_error(const quire_error *err);

#endif
