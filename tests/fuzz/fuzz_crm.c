/*
 * fuzz_crm.c - the crm_rest plugin's JSON paths, values and masking on
 * arbitrary input, as a page of records is read.
 *
 * The input is lines, then the body of a response:
 *   line 1     the records path ("data.items", "results[0].rows", ".")
 *   line 2     a secret, masked out of the body as in an error message
 *   lines 3..  columns until an empty line: a type letter (s string,
 *              i integer, n number, d date, b boolean) and a path
 *   the rest   the response, JSON as the CRM sends it
 * The records are followed and every column converted, as the plugin does
 * for a page. Besides not crashing or hanging: a path or value refused
 * says why; a string cell is the length it says; the masked text holds
 * no secret.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/crm_rest/crm_rest.h"
#include "replay.h"

#define MAX_COLS 8
#define MAX_RECORDS 256

typedef struct col {
    quire_type type;
    crm_path path, cpath; /* into a record; into a cached row: [i] */
} col;

/* The next line of [*p, end), NUL-terminated in a copy; NULL at the end. */
static char *line(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *s = *p, *e = s;
    char *l;

    if (s >= end)
        return NULL;
    while (e < end && *e != '\n')
        e++;
    l = malloc((size_t)(e - s) + 1);
    if (!l)
        abort();
    memcpy(l, s, (size_t)(e - s));
    l[e - s] = '\0';
    *p = e < end ? e + 1 : e;
    return l;
}

static void compile(const char *text, crm_path *p)
{
    char why[512] = "";

    if (crm_path_compile(text, p, why, sizeof why)) {
        if (!why[0] || p->step || p->n)
            abort(); /* refused without a reason, or not left empty */
        return;
    }
    if (!p->text || strcmp(p->text, text) != 0)
        abort();
}

static void convert(json_t *v, quire_type t, crm_arena *a)
{
    quire_cell c;
    char why[256] = "";

    if (crm_convert(v, t, &c, a, why, sizeof why)) {
        if (!why[0])
            abort();
        return;
    }
    if (t == QUIRE_T_STRING && !c.null) {
        if (!c.v.s.ptr)
            abort();
        /* every byte of the cell is readable (ASan checks the copy) */
        {
            char *copy = malloc((size_t)c.v.s.len + 1);
            if (!copy)
                abort();
            memcpy(copy, c.v.s.ptr, c.v.s.len);
            free(copy);
        }
    }
    if (t == QUIRE_T_BOOLEAN && !c.null && c.v.i != 0 && c.v.i != 1)
        abort();
}

static void check_mask(const char *text, const char *secret)
{
    const char *secrets[2] = {secret, NULL};
    size_t sizes[3] = {16, 128, 4096}, k;

    for (k = 0; k < 3; k++) {
        char *out = malloc(sizes[k]);
        if (!out)
            abort();
        crm_mask(text, out, sizes[k], secrets, "api_key");
        if (strlen(out) >= sizes[k])
            abort();
        /* "***" replaces a secret: one made of stars may meet its mask */
        if (secret[0] && !strchr(secret, '*') && strstr(out, secret))
            abort(); /* the secret is still there */
        free(out);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    char *rpath = line(&p, end), *secret = line(&p, end), *l;
    col cols[MAX_COLS];
    size_t ncols = 0, i, r, n;
    crm_path records;
    crm_arena arena = {0};
    json_error_t je;
    json_t *root, *recs;

    if (!rpath || !secret) {
        free(rpath);
        free(secret);
        return 0;
    }
    while ((l = line(&p, end)) != NULL && l[0]) {
        static const quire_type types[] = {QUIRE_T_STRING, QUIRE_T_INTEGER, QUIRE_T_NUMBER,
                                           QUIRE_T_DATE, QUIRE_T_BOOLEAN};
        if (ncols < MAX_COLS) {
            char idx[32];
            col *c = &cols[ncols++];
            const char *k = l[0] ? strchr("sindb", l[0]) : NULL;
            c->type = types[k ? k - "sindb" : (unsigned char)l[0] % 5];
            compile(l + 1, &c->path);
            snprintf(idx, sizeof idx, "[%zu]", ncols - 1);
            compile(idx, &c->cpath);
            if (c->cpath.n != 1 || c->cpath.step[0].key || c->cpath.step[0].index != ncols - 1)
                abort();
        }
        free(l);
    }
    free(l);
    compile(rpath, &records);

    root = json_loadb((const char *)p, (size_t)(end - p), JSON_DECODE_ANY, &je);
    if (root) {
        recs = crm_path_get(root, &records);
        n = json_is_array(recs) ? json_array_size(recs) : 0;
        for (r = 0; r < n && r < MAX_RECORDS; r++) {
            json_t *rec = json_array_get(recs, r), *row = json_array();
            if (!row)
                abort();
            for (i = 0; i < ncols; i++) {
                json_t *v = crm_path_get(rec, &cols[i].path);
                convert(v, cols[i].type, &arena);
                /* the cached row: the values by index, read back the same */
                json_array_append(row, v ? v : json_null());
                if (crm_path_get(row, &cols[i].cpath) != (v ? v : json_null()))
                    abort();
            }
            json_decref(row);
            if ((r & 31) == 31)
                crm_arena_reset(&arena);
        }
        /* what a scalar at a pagination path would be read as */
        convert(recs, QUIRE_T_STRING, &arena);
        convert(recs, QUIRE_T_DATE, &arena);
        json_decref(root);
    }
    {
        int64_t days;
        (void)crm_parse_date(secret, strlen(secret), &days);
    }
    {
        char *text = malloc((size_t)(end - p) + 1);
        if (!text)
            abort();
        memcpy(text, p, (size_t)(end - p));
        text[end - p] = '\0';
        check_mask(text, secret);
        free(text);
    }
    crm_arena_free(&arena);
    for (i = 0; i < ncols; i++) {
        crm_path_free(&cols[i].path);
        crm_path_free(&cols[i].cpath);
    }
    crm_path_free(&records);
    free(rpath);
    free(secret);
    return 0;
}

#ifndef QUIRE_LIBFUZZER
int main(int argc, char **argv)
{
    char *def[] = {argv[0], (char *)"tests/fuzz/corpus/crm"};
    return argc > 1 ? replay_main("fuzz_crm", argc, argv) : replay_main("fuzz_crm", 2, def);
}
#endif
