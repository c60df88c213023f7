/*
 * plugins.h - finding and loading data-source plugins.
 *
 * Plugins are shared objects named NAME.so, searched in this order: the
 * folder "plugins" next to the quire binary, then ../lib/quire/plugins
 * relative to it (an installed tree), then each folder of QUIRE_PLUGIN_PATH
 * (colon-separated). A spec names a plugin, never a path.
 */
#ifndef QUIRE_PLUGINS_H
#define QUIRE_PLUGINS_H

#include <stddef.h>

#include "error.h"
#include "quire/plugin.h"

typedef struct loaded_plugin {
    char *path;
    void *handle;
    const quire_plugin *desc;
} loaded_plugin;

typedef struct plugin_registry {
    loaded_plugin *v;
    size_t n;
} plugin_registry;

/* The plugin called name, loading it on first use. */
const quire_plugin *plugins_get(plugin_registry *r, const char *name, quire_error *err);
/* Load every plugin found on the search path (for `quire plugins`). Problems
 * with single files are reported as warnings; returns the number loaded. */
size_t plugins_load_all(plugin_registry *r);
/* Where plugins are looked for, ':'-separated (for messages and help). */
char *plugins_search_path(void);
void plugins_free(plugin_registry *r);

#endif
