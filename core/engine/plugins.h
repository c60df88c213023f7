/*
 * plugins.h - finding and loading data-source plugins.
 *
 * Plugins are shared objects named NAME.so, searched in this order: the
 * folder "plugins" next to the quire binary, then ../lib/quire/plugins
 * relative to it (an installed tree), then each folder of QUIRE_PLUGIN_PATH
 * (colon-separated). A spec names a plugin, never a path.
 *
 * The loader reads a plugin's descriptor once, while the plugin is loaded,
 * into a copy of the host's own layout: fields past the plugin's struct_size
 * are zero, the option table is walked with the plugin's option_size and
 * copied (so the rest of the core indexes it as an ordinary array), and
 * column_size holds the plugin's stride for arrays of quire_column.
 * Registering and loading happen on the report's thread only.
 */
#ifndef QUIRE_PLUGINS_H
#define QUIRE_PLUGINS_H

#include <stddef.h>

#include "error.h"
#include "quire/plugin.h"

/* The size of quire_option_def and quire_column in ABI 1.1, the strides of a
 * plugin that does not declare them. */
#define PLUGIN_OPTION_SIZE_1_1 offsetof(quire_option_def, flags)
#define PLUGIN_COLUMN_SIZE_1_1 (offsetof(quire_column, format) + sizeof(const char *))

typedef struct loaded_plugin {
    char *path;
    void *handle;
    quire_plugin *desc;        /* the host's copy (see above); column_size: the plugin's */
    quire_option_def *options; /* desc->options, in the host's layout (owned) */
} loaded_plugin;

/* A plugin that failed to load, remembered so that it is not loaded again
 * (from a thread, say) and fails with the same message. */
typedef struct plugin_failure {
    char *name;
    quire_error err;
} plugin_failure;

typedef struct plugin_registry {
    loaded_plugin *v;
    size_t n;
    plugin_failure *failed;
    size_t nfailed;
} plugin_registry;

/* The plugin called name, loading it on first use. */
const quire_plugin *plugins_get(plugin_registry *r, const char *name, quire_error *err);
/* Load every plugin found on the search path (for `quire plugins`). Problems
 * with single files are reported as warnings; returns the number loaded. */
size_t plugins_load_all(plugin_registry *r);
/* Where plugins are looked for, ':'-separated (for messages and help). */
char *plugins_search_path(void);
/* Call every unload hook, then unload the plugins. */
void plugins_free(plugin_registry *r);

/* Checking an option's value against its definition. */
typedef enum option_check {
    OPTION_OK = 0,
    OPTION_NOT_INTEGER,
    OPTION_NOT_BOOLEAN,
    OPTION_NOT_CHAR,
    OPTION_NOT_NUMBER,
    OPTION_NOT_CHOICE
} option_check;

/*
 * Check text against d and fill v (text, i, n, set). The text kept in v is
 * *norm, owned by the caller: booleans "true"/"false", "\t" for a CHAR
 * written \t, a PATH joined to dir (when dir is not NULL), else the text.
 */
option_check plugin_option_parse(const quire_option_def *d, const char *text, const char *dir,
                                 char **norm, quire_option_value *v);
/* "a whole number", "true or false", ..., "one of a, b, c" for d. */
char *plugin_option_expects(const quire_option_def *d);
/* The type's name for `quire plugins`. */
const char *plugin_option_type_name(quire_opt_type t);

#endif
