/* cli.c - shared argument parsing and error printing for the commands. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

int cli_usage_error(const char *usage, const char *fmt, const char *arg)
{
    fprintf(stderr, "quire: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n\n%s", usage);
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
    if (strstr(err->msg, "error: "))
        fprintf(stderr, "%s\n", err->msg);
    else
        fprintf(stderr, "quire: error: %s\n", err->msg);
    return err->code ? err->code : QUIRE_EXIT_DATA;
}
