/* cli.c - shared argument parsing and error printing for the commands. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

int cli_usage_error(const char *usage, const char *fmt, const char *arg)
{
    quire_error err;

    quire_err(&err, QUIRE_EXIT_USAGE, fmt, arg);
    cli_report_error(&err);
    fprintf(stderr, "\n%s", usage);
    return QUIRE_EXIT_USAGE;
}

int cli_is_help(const char *a)
{
    return strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0;
}

int cli_is_opt(const char *a, const char *lng, const char *shrt)
{
    size_t n = strlen(lng);
    return strcmp(a, lng) == 0 || (shrt && strcmp(a, shrt) == 0) ||
           (strncmp(a, lng, n) == 0 && a[n] == '=');
}

const char *cli_opt(int argc, char **argv, int *i, const char *lng, const char *shrt,
                    int *missing)
{
    const char *a = argv[*i];
    size_t n = strlen(lng);

    if (strncmp(a, lng, n) == 0 && a[n] == '=')
        return a + n + 1;
    if (strcmp(a, lng) == 0 || (shrt && strcmp(a, shrt) == 0)) {
        if (*i + 1 >= argc) {
            if (missing)
                *missing = 1;
            return NULL;
        }
        return argv[++*i];
    }
    return NULL;
}

int cli_report_error(const quire_error *err)
{
    quire_error e = *err;
    char text[QUIRE_ERROR_TEXT_MAX];

    quire_err_default_file(&e, "quire"); /* an error that names no where is the program's */
    fprintf(stderr, "%s\n", quire_err_format(&e, text, sizeof text));
    return err->code ? err->code : QUIRE_EXIT_DATA;
}
