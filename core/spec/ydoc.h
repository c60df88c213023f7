/*
 * ydoc.h - a YAML file loaded as a node tree, with located errors.
 *
 * The report spec (spec.c) and its schedule section (schedule.c) are both
 * read this way: the whole file is loaded with libyaml, then walked; every
 * error names file:line:col, and every mapping's keys can be checked against
 * the keys allowed there, with a "did you mean" hint.
 */
#ifndef QUIRE_YDOC_H
#define QUIRE_YDOC_H

#include <stddef.h>
#include <yaml.h>

#include "error.h"

typedef yaml_node_t ynode;

/* What a spec may hold (docs/spec.md, "YAML and its limits"); past them the
 * load fails with an error at the place the limit is crossed. */
#define YDOC_MAX_BYTES (1024 * 1024)    /* the file */
#define YDOC_MAX_DEPTH 64               /* lists and mappings inside one another */
#define YDOC_MAX_SCALAR (64 * 1024)     /* one value, in bytes, ${name} substituted */
#define YDOC_MAX_NODES 100000           /* values, lists and mappings, aliases expanded */
#define YDOC_MAX_TEXT (4 * 1024 * 1024) /* the values' bytes, aliases and ${name} expanded */

typedef struct ydoc {
    yaml_document_t doc;
    const char *file;   /* borrowed: the path, for messages */
    quire_error *err;   /* where errors go */
    int loaded;
    size_t text;        /* bytes of the values, each alias counted as what it repeats,
                         * and what ${name} substitutions added */
    /* The parameters ${name} stands for (ydoc_set_params); the strings are
     * borrowed, order holds the indexes sorted by name. */
    const char **pnames, **pvalues;
    size_t nparams, *porder;
    /* ${name:format} (ydoc_set_format), or NULL: no parameter takes one. */
    int (*format)(void *ctx, size_t param, const char *fmt, size_t len, char *buf, size_t n,
                  char *msg, size_t msgn);
    void *format_ctx;
} ydoc;

/* Load path, one YAML document. Returns 0, or -1 with err set
 * (QUIRE_EXIT_USAGE; a syntax error, a second document, a key given twice in
 * a mapping or a limit crossed names file:line:col). An alias is the node its
 * anchor names: the tree shares it. */
int ydoc_load(ydoc *y, const char *path, quire_error *err);
void ydoc_free(ydoc *y);

ynode *ydoc_root(ydoc *y);
ynode *ydoc_node(ydoc *y, yaml_node_item_t id);
/* The value of key in mapping m, or NULL. */
ynode *ydoc_get(ydoc *y, ynode *m, const char *key);
/* A scalar's text (the node must be a scalar). */
const char *ynode_text(const ynode *n);
/* An empty, "~" or "null" plain scalar. */
int ynode_is_null(const ynode *n);
/* "a scalar", "a list", "a mapping". */
const char *ynode_kind(const ynode *n);

/* The parameters ${name} stands for in ydoc_text: n names and their values
 * (NULL: empty). The strings are borrowed until ydoc_free. */
void ydoc_set_params(ydoc *y, const char *const *names, const char *const *values, size_t n);
/* How ${name:format} is written: fn writes parameter param (an index of
 * ydoc_set_params' list) in the format named by the len bytes at fmt into
 * buf and returns 0, or returns -1 with what is wrong in msg. */
void ydoc_set_format(ydoc *y,
                     int (*fn)(void *ctx, size_t param, const char *fmt, size_t len, char *buf,
                               size_t n, char *msg, size_t msgn),
                     void *ctx);
/* Scalar n's text with every ${name} substituted, a new string in *out; what
 * names the value in messages. An unknown parameter, a "${" without its "}",
 * a value that grows past YDOC_MAX_SCALAR or substitutions that take the
 * spec's text past YDOC_MAX_TEXT are errors at n. Time and memory grow with
 * the text made, which the limits bound. */
int ydoc_text(ydoc *y, const ynode *n, const char *what, char **out);

/* Set err to an error of the file at node n's line and column (the column
 * moved right by coloff; n NULL = 1:1) and return -1. */
int ydoc_fail(ydoc *y, const ynode *n, int coloff, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* Check that every key of mapping m is one of allowed[]; where names the
 * mapping in the message ("periods", "a chart"). */
int ydoc_check_keys(ydoc *y, ynode *m, const char *where, const char *const *allowed, size_t n);

#endif
