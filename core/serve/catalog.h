/*
 * catalog.h - the reports a server offers: the specs in one folder, found by
 * name only ([A-Za-z0-9_-]+, the file NAME.yaml in that folder), and the key
 * of a run (the spec, its parameters and its inputs hashed).
 */
#ifndef QUIRE_CATALOG_H
#define QUIRE_CATALOG_H

#include <stddef.h>

#include "error.h"
#include "spec.h"

/* Whether name is a report name: 1 to 100 of A-Z a-z 0-9 _ -. */
int catalog_name_ok(const char *name);
/* The report names in dir (NAME.yaml files), sorted; *names malloc'd, each
 * name too. */
int catalog_list(const char *dir, char ***names, size_t *n);
void catalog_names_free(char **names, size_t n);
/* The spec path of report name in dir; NULL when the name is not a report
 * name or no such file is in dir. A new string. */
char *catalog_path(const char *dir, const char *name);
/* Load report name with the parameters ov. Errors name the spec by its file
 * name alone (not the server's folders). */
spec *catalog_load(const char *dir, const char *name, const spec_override *ov, size_t nov,
                   quire_error *err);

/* The key of a run of report name with parameters ov: SHA-256 of the
 * program's version, the name, every parameter's value (defaults included)
 * and the hash of every input (spec, data files, scripts). Inputs are hashed
 * again only when their size, time or identity changed since the last key
 * asked for the same parameters; a spec that changed is loaded again, so its
 * parameters are checked against it. Returns 0, or -1 with err (a parameter
 * the spec refuses, with its file:line:col). *path_param is set when ov
 * names a parameter of type path (the caller refuses it). */
int catalog_key(const char *dir, const char *name, const spec_override *ov, size_t nov,
                char key[65], int *path_param, quire_error *err);

#endif
