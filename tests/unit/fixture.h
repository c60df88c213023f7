/*
 * fixture.h - a temporary folder of hand-made files for the unit tests that
 * run the real pipeline, with the plugins of the build under test.
 *
 * fixture_open() creates the folder, points QUIRE_PLUGIN_PATH at
 * $PLUGIN_DIR (default: plugins, relative to the current directory) and
 * QUIRE_LUA_LIB at the source tree's Lua library (fixture_lua_lib);
 * fixture_put() writes a file into it; fixture_close() removes it.
 */
#ifndef QUIRE_FIXTURE_H
#define QUIRE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static char dir[64];

/* Point QUIRE_LUA_LIB at scripts/lib/quire.lua of the current directory (the
 * source tree; a test program is not next to the library), unless set. */
static int fixture_lua_lib(void)
{
    char abs[512];

    if (getenv("QUIRE_LUA_LIB") || !getcwd(abs, sizeof abs - 64))
        return 0;
    strcat(abs, "/scripts/lib/quire.lua");
    return setenv("QUIRE_LUA_LIB", abs, 1);
}

static int fixture_open(const char *prefix)
{
    const char *pd = getenv("PLUGIN_DIR");
    char abs[512];

    check_template(dir, sizeof dir, prefix);
    if (!mkdtemp(dir) || fixture_lua_lib())
        return -1;
    if (!pd)
        pd = "plugins";
    if (pd[0] == '/')
        return setenv("QUIRE_PLUGIN_PATH", pd, 1);
    if (!getcwd(abs, sizeof abs - 64) || strlen(pd) > 60)
        return -1;
    strcat(abs, "/");
    strcat(abs, pd);
    return setenv("QUIRE_PLUGIN_PATH", abs, 1);
}

static void fixture_put(const char *name, const char *text)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "w");
    if (!f) {
        CHECK(f != NULL);
        return;
    }
    fputs(text, f);
    fclose(f);
}

static void fixture_close(void)
{
    char cmd[300];

    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

#endif
