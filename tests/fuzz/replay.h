/*
 * replay.h - the plain main() beside each fuzz target.
 *
 * A fuzz target defines LLVMFuzzerTestOneInput(). Built with clang's
 * -fsanitize=fuzzer it is a coverage-guided fuzzer; built with any compiler
 * and this main() (the default, and what `make test` runs) it replays every
 * file of its corpus folder, so a crash found once stays a test.
 */
#ifndef QUIRE_FUZZ_REPLAY_H
#define QUIRE_FUZZ_REPLAY_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef QUIRE_LIBFUZZER
static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *data = NULL;
    size_t n = 0, cap = 0, got;

    if (!f)
        return -1;
    do {
        if (n + 4096 > cap) {
            cap = cap ? cap * 2 : 8192;
            data = realloc(data, cap);
            if (!data)
                abort();
        }
        got = fread(data + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    fclose(f);
    LLVMFuzzerTestOneInput(data, n);
    free(data);
    return 0;
}

/* Replay each file named, or each file of each folder named. */
static int replay_main(const char *name, int argc, char **argv)
{
    int i, ran = 0, failed = 0;

    for (i = 1; i < argc; i++) {
        DIR *d = opendir(argv[i]);
        struct dirent *e;
        if (!d) {
            if (replay_file(argv[i]))
                failed++;
            else
                ran++;
            continue;
        }
        while ((e = readdir(d)) != NULL) {
            char path[4096];
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
            if (replay_file(path))
                failed++;
            else
                ran++;
        }
        closedir(d);
    }
    /* Every input either returned or aborted the program: those that
     * returned passed. An empty corpus is a failure, not a pass. */
    if (ran == 0)
        failed++;
    printf("%s: %d passed, %d failed\n", name, ran, failed);
    return failed ? 1 : 0;
}
#endif

#endif
