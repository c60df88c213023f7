/*
 * run.h - the commands that work on a spec: run, validate, preview.
 */
#ifndef QUIRE_RUN_H
#define QUIRE_RUN_H

#include <stddef.h>

#include "doc.h"
#include "error.h"
#include "model.h"
#include "spec.h"

/* The outputs a run writes (a set: RUN_PDF | RUN_HTML...). */
enum { RUN_PDF = 1u << 0, RUN_HTML = 1u << 1, RUN_XLSX = 1u << 2 };

/* Called once the report is written, with its document and its model (the
 * KPIs computed): the scheduler keeps the values its alerts compare and the
 * summary its emails carry. Both are borrowed for the call. Returns 0, or -1
 * with err set, which fails the run. */
typedef int (*run_done_fn)(const quire_doc *doc, const model *m, void *ctx, quire_error *err);

typedef struct run_opts {
    const char *spec_path;
    const char *out;           /* output path; NULL = out/<spec name>.pdf (run_output_path) */
    unsigned formats;          /* RUN_PDF, RUN_HTML, RUN_XLSX; 0 = RUN_PDF */
    const char *export_dir;    /* NULL = no export */
    const spec_override *params;
    size_t nparams;
    const char *data_root;     /* NULL = none; else every source, script and output path
                                  must resolve inside it (docs/security.md) */
    run_done_fn done;          /* NULL = none */
    void *done_ctx;
} run_opts;

/* "pdf", "html", "xlsx" or a comma list of them ("pdf,html") as a set of
 * RUN_* bits. Returns 0, or -1 with err set (a usage error naming the word). */
int run_parse_formats(const char *list, unsigned *formats, quire_error *err);

/*
 * Where format fmt (one RUN_* bit) of a run writing the set formats goes,
 * given the output path out: out with its extension (.pdf, .html, .htm or
 * .xlsx, in any case) replaced by fmt's (".pdf", ".html", ".xlsx"); an out
 * without one of those is written as given when it is the only output, and
 * gets fmt's extension appended when there are several. A new string.
 */
char *run_output_path(const char *out, unsigned fmt, unsigned formats);

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
