/*
 * fuzz_spec.c - the report spec loader on arbitrary bytes, with parameters:
 * it must load or fail with a message, never crash, leak or hang.
 *
 * Lines at the top of the input of the form "#param NAME=VALUE" (YAML
 * comments, so the file is still the spec) are given as --param NAME=VALUE,
 * at most MAX_PARAMS of them, so that ${NAME} substitution meets values the
 * spec did not write: long ones, ones holding ${...}, quotes, line breaks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replay.h"
#include "spec.h"
#include "util.h"

#define MAX_PARAMS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = tmp_template("/tmp/quire-fuzz-spec-");
    char *text = malloc(size + 1), *p;
    spec_override ov[MAX_PARAMS];
    size_t nov = 0;
    quire_error err = {0};
    int fd = mkstemp(path);
    spec *s;

    if (fd < 0 || !text)
        abort();
    if (write(fd, data, size) != (ssize_t)size)
        abort();
    close(fd);
    memcpy(text, data, size);
    text[size] = '\0';
    /* "#param NAME=VALUE" lines; a value's "\n" is a line break */
    for (p = text; nov < MAX_PARAMS && strncmp(p, "#param ", 7) == 0;) {
        char *eol = strchr(p, '\n'), *eq, *q;
        if (eol)
            *eol = '\0';
        eq = strchr(p + 7, '=');
        if (eq) {
            *eq = '\0';
            for (q = eq + 1; (q = strstr(q, "\\n")) != NULL; q++) {
                *q = '\n';
                memmove(q + 1, q + 2, strlen(q + 2) + 1);
            }
            ov[nov].name = p + 7;
            ov[nov].value = eq + 1;
            nov++;
        }
        if (!eol)
            break;
        p = eol + 1;
    }
    s = spec_load(path, ov, nov, &err);
    if (!s && (!err.code || !err.msg[0]))
        abort(); /* a failure must say why */
    spec_free(s);
    unlink(path);
    free(path);
    free(text);
    return 0;
}

#ifndef QUIRE_LIBFUZZER
int main(int argc, char **argv)
{
    char *def[] = {argv[0], (char *)"tests/fuzz/corpus/spec", (char *)"reports"};
    return argc > 1 ? replay_main("fuzz_spec", argc, argv) : replay_main("fuzz_spec", 3, def);
}
#endif
