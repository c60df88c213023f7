/* ydoc.c - YAML files as node trees, with located errors. */
#include "ydoc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

int ydoc_load(ydoc *y, const char *path, quire_error *err)
{
    yaml_parser_t parser;
    FILE *f;
    int rc = 0;

    memset(y, 0, sizeof *y);
    y->file = path;
    y->err = err;
    f = fopen(path, "rb");
    if (!f)
        return quire_err_at(err, QUIRE_EXIT_USAGE, path, 0, 0, "cannot open: %s", strerror(errno));
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    if (yaml_parser_load(&parser, &y->doc)) {
        y->loaded = 1;
    } else {
        rc = quire_err_at(err, QUIRE_EXIT_USAGE, path, (int)parser.problem_mark.line + 1,
                          (int)parser.problem_mark.column + 1, "%s%s%s",
                          parser.problem ? parser.problem : "invalid YAML",
                          parser.context ? " " : "", parser.context ? parser.context : "");
    }
    yaml_parser_delete(&parser);
    fclose(f);
    return rc;
}

void ydoc_free(ydoc *y)
{
    if (y->loaded)
        yaml_document_delete(&y->doc);
    y->loaded = 0;
}

ynode *ydoc_root(ydoc *y)
{
    return yaml_document_get_root_node(&y->doc);
}

ynode *ydoc_node(ydoc *y, yaml_node_item_t id)
{
    return yaml_document_get_node(&y->doc, id);
}

const char *ynode_text(const ynode *n)
{
    return (const char *)n->data.scalar.value;
}

int ynode_is_null(const ynode *n)
{
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    return ynode_text(n)[0] == '\0' || strcmp(ynode_text(n), "~") == 0 ||
           strcmp(ynode_text(n), "null") == 0;
}

const char *ynode_kind(const ynode *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE: return "a scalar";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_MAPPING_NODE: return "a mapping";
    default: return "nothing";
    }
}

ynode *ydoc_get(ydoc *y, ynode *m, const char *key)
{
    yaml_node_pair_t *p;

    for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        ynode *k = ydoc_node(y, p->key);
        if (k->type == YAML_SCALAR_NODE && strcmp(ynode_text(k), key) == 0)
            return ydoc_node(y, p->value);
    }
    return NULL;
}

int ydoc_fail(ydoc *y, const ynode *n, int coloff, const char *fmt, ...)
{
    va_list ap;
    int line = 1, col = 1;

    if (n) {
        line = (int)n->start_mark.line + 1;
        col = (int)n->start_mark.column + 1 + coloff;
    }
    va_start(ap, fmt);
    quire_verr_at(y->err, QUIRE_EXIT_USAGE, y->file, line, col, fmt, ap);
    va_end(ap);
    return -1;
}

int ydoc_check_keys(ydoc *y, ynode *m, const char *where, const char *const *allowed, size_t n)
{
    yaml_node_pair_t *p;

    for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        ynode *k = ydoc_node(y, p->key);
        const char *hint;
        strbuf b = {0};
        size_t i;

        if (k->type != YAML_SCALAR_NODE)
            return ydoc_fail(y, k, 0, "keys of %s must be plain names", where);
        for (i = 0; i < n; i++)
            if (strcmp(ynode_text(k), allowed[i]) == 0)
                break;
        if (i < n)
            continue;
        hint = closest_word(ynode_text(k), allowed, n);
        if (hint)
            return ydoc_fail(y, k, 0, "unknown key \"%s\" in %s; did you mean \"%s\"?",
                             ynode_text(k), where, hint);
        for (i = 0; i < n; i++)
            sb_printf(&b, "%s%s", i ? ", " : "", allowed[i]);
        ydoc_fail(y, k, 0, "unknown key \"%s\" in %s; allowed keys: %s", ynode_text(k), where, b.s);
        sb_free(&b);
        return -1;
    }
    return 0;
}
