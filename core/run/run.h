/*
 * run.h - the commands that work on a spec: run, validate, preview.
 */
#ifndef QUIRE_RUN_H
#define QUIRE_RUN_H

#include <stddef.h>

#include "error.h"
#include "spec.h"

typedef struct run_opts {
    const char *spec_path;
    const char *out;           /* PDF path; NULL = out/<spec name>.pdf */
    const char *export_dir;    /* NULL = no export */
    const spec_override *params;
    size_t nparams;
    const char *data_root;     /* NULL = none; else every source, script and output path
                                  must resolve inside it (docs/security.md) */
} run_opts;

/* Render the report. Returns 0 or -1 with err set. */
int run_report(const run_opts *o, quire_error *err);
/* Load the spec, check every source's options and every script; print a
 * summary on success. */
int run_validate(const run_opts *o, quire_error *err);

typedef enum { PREVIEW_CSV = 0, PREVIEW_JSON = 1 } preview_format;
/* Print the first rows of a source as Quire reads and types them. */
int run_preview(const run_opts *o, const char *source, long rows, preview_format fmt,
                quire_error *err);

#endif
