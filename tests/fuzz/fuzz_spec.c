/*
 * fuzz_spec.c - the report spec loader on arbitrary bytes: it must load or
 * fail with a message, never crash, leak or hang.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "replay.h"
#include "spec.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = tmp_template("/tmp/quire-fuzz-spec-");
    quire_error err = {0};
    int fd = mkstemp(path);
    spec *s;

    if (fd < 0)
        abort();
    if (write(fd, data, size) != (ssize_t)size)
        abort();
    close(fd);
    s = spec_load(path, NULL, 0, &err);
    if (!s && (!err.code || !err.msg[0]))
        abort(); /* a failure must say why */
    spec_free(s);
    unlink(path);
    free(path);
    return 0;
}

#ifndef QUIRE_LIBFUZZER
int main(int argc, char **argv)
{
    char *def[] = {argv[0], (char *)"tests/fuzz/corpus/spec", (char *)"reports"};
    return argc > 1 ? replay_main("fuzz_spec", argc, argv) : replay_main("fuzz_spec", 3, def);
}
#endif
