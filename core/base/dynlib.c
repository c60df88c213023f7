/* dynlib.c - a shared library bound on first use (see dynlib.h). */
#include "dynlib.h"

#include <dlfcn.h>
#include <stdio.h>

void *dynlib_open(const char *soname, char *why, size_t nwhy)
{
    void *h;

    /* dlopen("") would give the program itself */
    if (!soname || !*soname) {
        snprintf(why, nwhy, "the library was not found when this program was built");
        return NULL;
    }
    h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

    if (!h) {
        const char *e = dlerror();

        snprintf(why, nwhy, "%s cannot be loaded: %s (is its package installed?)", soname,
                 e ? e : "unknown error");
    }
    return h;
}

int dynlib_sym(void *h, const char *name, void **slot, char *why, size_t nwhy)
{
    *slot = h ? dlsym(h, name) : NULL;
    if (*slot)
        return 0;
    snprintf(why, nwhy, "the library loaded has no function %s (a different version?)", name);
    return 1;
}
