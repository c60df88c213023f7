/*
 * ydoc.c - YAML files as node trees, with located errors.
 *
 * The tree is built from libyaml's events rather than by yaml_parser_load, so
 * that every limit of ydoc.h is checked as the file is read, at the place it
 * is crossed: a deep file is refused at its 65th level (libyaml's scanner
 * spends time in proportion to the depth on every token), an alias bomb at the
 * alias that repeats too much, before anything is built from it.
 */
#include "ydoc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* An error at a mark of the file (as ydoc_fail, at a place rather than a node). */
static int fail_mark(ydoc *y, yaml_mark_t m, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int fail_mark(ydoc *y, yaml_mark_t m, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    quire_verr_at(y->err, QUIRE_EXIT_USAGE, y->file, (int)m.line + 1, (int)m.column + 1, fmt, ap);
    va_end(ap);
    return -1;
}

/* ------------------------------------------------------------ reading */

/* The file, handed to libyaml up to YDOC_MAX_BYTES and kept (for placing
 * the errors libyaml gives as an offset, and reading the lines around one):
 * past the limit the parser sees the end, and over records that there was
 * more. */
typedef struct reader {
    FILE *f;
    strbuf text; /* what was handed over */
    int over;
} reader;

static int read_some(void *data, unsigned char *buf, size_t size, size_t *got)
{
    reader *r = data;
    size_t k;

    *got = 0;
    if (r->text.len >= YDOC_MAX_BYTES) {
        if (!r->over && getc(r->f) != EOF)
            r->over = 1;
        return 1;
    }
    if (size > YDOC_MAX_BYTES - r->text.len)
        size = YDOC_MAX_BYTES - r->text.len;
    k = fread(buf, 1, size, r->f);
    if (k == 0 && ferror(r->f))
        return 0;
    sb_add(&r->text, (const char *)buf, k);
    *got = k;
    return 1;
}

/* The place of byte offset off, as libyaml counts: lines end at \n, \r or
 * \r\n, and a column is a character, not a byte. */
static yaml_mark_t mark_at(const reader *r, size_t off)
{
    yaml_mark_t m = {0, 0, 0};
    size_t i;

    if (off > r->text.len)
        off = r->text.len;
    for (i = 0; i < off; i++) {
        unsigned char ch = (unsigned char)r->text.s[i];
        if (ch == '\n' || ch == '\r') {
            if (!(ch == '\n' && i && r->text.s[i - 1] == '\r'))
                m.line++;
            m.column = 0;
        } else if ((ch & 0xC0) != 0x80) {
            m.column++;
        }
    }
    m.index = off;
    return m;
}

/* Line line (from 0) of the text: its start, and its length in *n. */
static const char *line_of(const reader *r, size_t line, size_t *n)
{
    const char *p = r->text.s, *end = p + r->text.len, *e;

    if (!p)
        return *n = 0, "";
    for (; line && p < end; p++)
        if (*p == '\n' || (*p == '\r' && (p + 1 == end || p[1] != '\n')))
            line--;
    for (e = p; e < end && *e != '\n' && *e != '\r'; e++)
        ;
    *n = (size_t)(e - p);
    return p;
}

/* ------------------------------------------------------------ composing */

/* An anchor and what it names. */
typedef struct anchor {
    char *name;
    yaml_node_item_t id;
    size_t nodes, text; /* the node's size with aliases expanded (while open: the
                         * counters when it began) */
    int open;           /* its node is not finished yet */
    int line;           /* where it is defined, from 1 */
} anchor;

/* A list or mapping being read. */
typedef struct frame {
    yaml_node_item_t id;
    yaml_node_item_t key; /* a mapping's key, waiting for its value */
    const char *anchor;   /* its anchor's name, or NULL (the table moves as it grows) */
} frame;

/* A key of a mapping, for finding it twice. */
typedef struct keyseen {
    const char *s; /* the key node's text (borrowed from the document) */
    size_t len;
    yaml_node_item_t map;
    int line;
} keyseen;

typedef struct composer {
    ydoc *y;
    frame stack[YDOC_MAX_DEPTH];
    int depth;
    size_t nodes;        /* nodes so far, aliases expanded (text is y->text) */
    anchor *anchors;     /* a hash table of nanchors_cap slots (a power of two) */
    size_t nanchors, nanchors_cap;
    keyseen *keys;       /* the same, of every mapping's keys */
    size_t nkeys, nkeys_cap;
} composer;

static size_t hash_bytes(size_t h, const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static size_t hash(const char *s)
{
    return hash_bytes(14695981039346656037ULL, s, strlen(s));
}

static size_t key_hash(yaml_node_item_t map, const char *s, size_t n)
{
    return hash_bytes(14695981039346656037ULL ^ (size_t)map * 0x9E3779B97F4A7C15ULL, s, n);
}

/* The slot of text s in mapping map, or the empty one where it would go. */
static keyseen *key_slot(composer *c, yaml_node_item_t map, const char *s, size_t n)
{
    size_t i = key_hash(map, s, n) & (c->nkeys_cap - 1);
    keyseen *k;

    for (;; i = (i + 1) & (c->nkeys_cap - 1)) {
        k = &c->keys[i];
        if (!k->s || (k->map == map && k->len == n && memcmp(k->s, s, n) == 0))
            return k;
    }
}

/* Key id of mapping map, at: a key the mapping already has is an error at the
 * second one (keys that are lists or mappings are not compared). */
static int key_add(composer *c, yaml_node_item_t map, yaml_node_item_t id, yaml_mark_t at)
{
    ynode *n = ydoc_node(c->y, id);
    const char *s;
    size_t len;
    keyseen *k;

    if (n->type != YAML_SCALAR_NODE)
        return 0;
    s = (const char *)n->data.scalar.value;
    len = n->data.scalar.length;
    if (2 * (c->nkeys + 1) > c->nkeys_cap) {
        keyseen *old = c->keys;
        size_t i, cap = c->nkeys_cap;

        c->nkeys_cap = cap ? 2 * cap : 256;
        c->keys = xcalloc(c->nkeys_cap, sizeof *c->keys);
        for (i = 0; i < cap; i++)
            if (old[i].s)
                *key_slot(c, old[i].map, old[i].s, old[i].len) = old[i];
        free(old);
    }
    k = key_slot(c, map, s, len);
    if (k->s)
        return fail_mark(c->y, at, "duplicate key \"%.200s\" in this mapping (first on line %d)",
                         s, k->line);
    k->s = s;
    k->len = len;
    k->map = map;
    k->line = (int)at.line + 1;
    c->nkeys++;
    return 0;
}

/* The anchor named name, or the empty slot where it would go. */
static anchor *anchor_slot(composer *c, const char *name)
{
    size_t i = hash(name) & (c->nanchors_cap - 1);

    while (c->anchors[i].name && strcmp(c->anchors[i].name, name) != 0)
        i = (i + 1) & (c->nanchors_cap - 1);
    return &c->anchors[i];
}

static anchor *anchor_find(composer *c, const char *name)
{
    anchor *a;

    if (!c->nanchors)
        return NULL;
    a = anchor_slot(c, name);
    return a->name ? a : NULL;
}

static anchor *anchor_add(composer *c, const char *name, yaml_mark_t at)
{
    anchor *a;

    if (2 * (c->nanchors + 1) > c->nanchors_cap) {
        anchor *old = c->anchors;
        size_t i, n = c->nanchors_cap;

        c->nanchors_cap = n ? 2 * n : 64;
        c->anchors = xcalloc(c->nanchors_cap, sizeof *c->anchors);
        for (i = 0; i < n; i++)
            if (old[i].name)
                *anchor_slot(c, old[i].name) = old[i];
        free(old);
    }
    a = anchor_slot(c, name);
    if (a->name) {
        fail_mark(c->y, at, "anchor \"&%s\" is defined twice (first on line %d)", name, a->line);
        return NULL;
    }
    a->name = xstrdup(name);
    c->nanchors++;
    a->nodes = c->nodes;
    a->text = c->y->text;
    a->open = 1;
    a->line = (int)at.line + 1;
    return a;
}

/* The counters grow by nodes and text (a new node, or what an alias repeats). */
static int grow(composer *c, size_t nodes, size_t text, yaml_mark_t at)
{
    c->nodes += nodes;
    c->y->text += text;
    if (c->nodes > YDOC_MAX_NODES)
        return fail_mark(c->y, at, "the spec holds more than %d values, lists and mappings "
                         "by here, counting what its aliases repeat; a spec may hold %d",
                         YDOC_MAX_NODES, YDOC_MAX_NODES);
    if (c->y->text > YDOC_MAX_TEXT)
        return fail_mark(c->y, at, "the spec's values hold more than %d MiB of text by here, "
                         "counting what its aliases repeat; a spec may hold %d MiB",
                         YDOC_MAX_TEXT >> 20, YDOC_MAX_TEXT >> 20);
    return 0;
}

/* Node id goes into the list or mapping being read (the first node is the
 * root). */
static int attach(composer *c, yaml_node_item_t id, yaml_mark_t at)
{
    frame *f;
    int ok;

    if (!id)
        return fail_mark(c->y, at, "out of memory");
    if (!c->depth)
        return 0;
    f = &c->stack[c->depth - 1];
    if (ydoc_node(c->y, f->id)->type == YAML_SEQUENCE_NODE) {
        ok = yaml_document_append_sequence_item(&c->y->doc, f->id, id);
    } else if (!f->key) {
        f->key = id;
        return key_add(c, f->id, id, at);
    } else {
        ok = yaml_document_append_mapping_pair(&c->y->doc, f->id, f->key, id);
        f->key = 0;
    }
    return ok ? 0 : fail_mark(c->y, at, "out of memory");
}

static void set_marks(composer *c, yaml_node_item_t id, const yaml_event_t *ev)
{
    ynode *n = ydoc_node(c->y, id);
    if (n) {
        n->start_mark = ev->start_mark;
        n->end_mark = ev->end_mark;
    }
}

/* A tag worth keeping: "!" or none is the default. */
static const yaml_char_t *tag_of(const yaml_char_t *tag)
{
    return tag && strcmp((const char *)tag, "!") != 0 ? tag : NULL;
}

static int on_scalar(composer *c, yaml_event_t *ev)
{
    size_t len = ev->data.scalar.length;
    yaml_node_item_t id;
    anchor *a = NULL;

    if (len > YDOC_MAX_SCALAR)
        return fail_mark(c->y, ev->start_mark, "this value is %zu bytes long; a value may hold "
                         "%d KiB (%d bytes)", len, YDOC_MAX_SCALAR >> 10, YDOC_MAX_SCALAR);
    if (ev->data.scalar.anchor && !(a = anchor_add(c, (const char *)ev->data.scalar.anchor,
                                                   ev->start_mark)))
        return -1;
    if (grow(c, 1, len, ev->start_mark))
        return -1;
    id = yaml_document_add_scalar(&c->y->doc, tag_of(ev->data.scalar.tag), ev->data.scalar.value,
                                  (int)len, ev->data.scalar.style);
    set_marks(c, id, ev);
    if (a) {
        a->id = id;
        a->nodes = 1;
        a->text = len;
        a->open = 0;
    }
    return attach(c, id, ev->start_mark);
}

static int on_alias(composer *c, yaml_event_t *ev)
{
    const char *name = (const char *)ev->data.alias.anchor;
    anchor *a = anchor_find(c, name);

    if (!a)
        return fail_mark(c->y, ev->start_mark, "alias \"*%s\" names no anchor before it", name);
    if (a->open)
        return fail_mark(c->y, ev->start_mark, "alias \"*%s\" is inside the node its anchor "
                         "names: it would hold itself", name);
    if (grow(c, a->nodes, a->text, ev->start_mark))
        return -1;
    return attach(c, a->id, ev->start_mark);
}

static int on_start(composer *c, yaml_event_t *ev)
{
    int seq = ev->type == YAML_SEQUENCE_START_EVENT;
    const yaml_char_t *name = seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor;
    yaml_node_item_t id;
    frame *f;
    anchor *a = NULL;

    if (c->depth == YDOC_MAX_DEPTH)
        return fail_mark(c->y, ev->start_mark, "lists and mappings nest more than %d deep here; "
                         "a spec may nest them %d deep", YDOC_MAX_DEPTH, YDOC_MAX_DEPTH);
    if (name && !(a = anchor_add(c, (const char *)name, ev->start_mark)))
        return -1;
    if (grow(c, 1, 0, ev->start_mark))
        return -1;
    if (seq)
        id = yaml_document_add_sequence(&c->y->doc, tag_of(ev->data.sequence_start.tag),
                                        ev->data.sequence_start.style);
    else
        id = yaml_document_add_mapping(&c->y->doc, tag_of(ev->data.mapping_start.tag),
                                       ev->data.mapping_start.style);
    set_marks(c, id, ev);
    if (attach(c, id, ev->start_mark))
        return -1;
    f = &c->stack[c->depth++];
    f->id = id;
    f->key = 0;
    f->anchor = a ? a->name : NULL;
    if (a)
        a->id = id;
    return 0;
}

static int on_end(composer *c, yaml_event_t *ev)
{
    frame *f = &c->stack[--c->depth];
    ynode *n = ydoc_node(c->y, f->id);

    n->end_mark = ev->end_mark;
    if (f->anchor) {
        /* The anchor's counters held the totals when it began. */
        anchor *a = anchor_find(c, f->anchor);
        a->nodes = c->nodes - a->nodes;
        a->text = c->y->text - a->text;
        a->open = 0;
    }
    return 0;
}

/* How far line (from 0) is indented, and whether it holds "key: value" (a
 * value after the colon) or is blank or a comment. */
static size_t indent_of(const reader *r, size_t line, int *kv, int *blank)
{
    size_t n, i;
    const char *t = line_of(r, line, &n), *c;

    for (i = 0; i < n && t[i] == ' '; i++)
        ;
    *blank = i == n || t[i] == '#';
    *kv = 0;
    for (c = t + i; c + 1 < t + n; c++)
        if (c[0] == ':' && c[1] == ' ') {
            for (c += 2; c < t + n && *c == ' '; c++)
                ;
            *kv = c < t + n && *c != '#';
            break;
        }
    return i;
}

/* The syntax error libyaml reports, said for a reader of the spec and placed
 * where the trouble starts: an unclosed "[" or quote where it opens. */
static int syntax_error(ydoc *y, const yaml_parser_t *p, const reader *r)
{
    const char *problem = p->problem ? p->problem : "invalid YAML";
    const char *context = p->context;
    yaml_mark_t at = p->problem_mark, from = p->context_mark;
    size_t n;
    const char *line;

    if (p->error == YAML_READER_ERROR) {
        /* libyaml gives these as a byte offset, with the byte. */
        const unsigned char *t = (const unsigned char *)r->text.s;
        size_t off = p->problem_offset;

        if (strcmp(problem, "control characters are not allowed") == 0)
            return fail_mark(y, mark_at(r, off), "control character 0x%02X is not allowed in "
                             "YAML", (unsigned)p->problem_value);
        if (strstr(problem, "UTF-8") || strstr(problem, "Unicode")) {
            if (strstr(problem, "trailing") && off <= r->text.len) {
                /* The offset is of the bad byte after a lead byte: go back
                 * to the character's start. */
                size_t k = off;
                while (k > 0 && off - k < 3 && (t[k - 1] & 0xC0) == 0x80)
                    k--;
                if (k > 0 && (t[k - 1] & 0xC0) == 0xC0)
                    off = k - 1;
            }
            if (p->problem_value >= 0)
                return fail_mark(y, mark_at(r, off), "the file is not UTF-8 here: %s (%s%02X); "
                                 "save it as UTF-8", problem,
                                 strstr(problem, "Unicode") ? "U+" : "0x",
                                 (unsigned)p->problem_value);
            return fail_mark(y, mark_at(r, off), "the file is not UTF-8 here: %s; save it as UTF-8",
                             problem);
        }
        at = mark_at(r, off);
        if (strcmp(problem, "input error") == 0)
            return fail_mark(y, at, "cannot read the file: %s", strerror(errno));
        return fail_mark(y, at, "%s", problem);
    }
    if (!context)
        context = "";
    if ((strcmp(context, "while parsing a flow sequence") == 0 ||
         strcmp(context, "while parsing a flow mapping") == 0) &&
        strncmp(problem, "did not find expected ','", 25) == 0 && at.line > from.line) {
        int seq = strstr(context, "sequence") != NULL;
        return fail_mark(y, from, "this \"%s\" is never closed: at %d:%d there is no \",\" or "
                         "\"%s\" where one should be", seq ? "[" : "{", (int)at.line + 1,
                         (int)at.column + 1, seq ? "]" : "}");
    }
    if (strcmp(context, "while scanning a quoted scalar") == 0 &&
        strcmp(problem, "found unexpected end of stream") == 0)
        return fail_mark(y, from, "this quote is never closed: the file ends at %d:%d",
                         (int)at.line + 1, (int)at.column + 1);
    if (strcmp(context, "while scanning a quoted scalar") == 0 &&
        strcmp(problem, "found unexpected document indicator") == 0)
        return fail_mark(y, from, "this quote is never closed: the document marker at %d:%d "
                         "ends it", (int)at.line + 1, (int)at.column + 1);
    line = line_of(r, at.line, &n);
    if (strstr(problem, "tab character") ||
        (strcmp(problem, "found character that cannot start any token") == 0 &&
         at.column < n && line[at.column] == '\t'))
        return fail_mark(y, at, "a tab where YAML wants spaces: indent with spaces only");
    if (strcmp(problem, "mapping values are not allowed in this context") == 0 && !p->context &&
        at.line > 0) {
        /* Mostly a key indented deeper than the one before it: YAML reads
         * it as more of the value on that line. */
        size_t prev = at.line, ind, pind = 0;
        int kv, blank = 1, pkv = 0;

        ind = indent_of(r, at.line, &kv, &blank);
        while (prev-- > 0) {
            pind = indent_of(r, prev, &pkv, &blank);
            if (!blank)
                break;
        }
        if (!blank && pkv && ind > pind) {
            yaml_mark_t key = at;
            key.column = ind;
            return fail_mark(y, key, "this key is indented deeper than line %d, so it reads as "
                             "more of the value there; line it up with the keys beside it",
                             (int)prev + 1);
        }
    }
    if (*context && (from.line != at.line || from.column != at.column))
        return fail_mark(y, at, "%s %s that starts at %d:%d", problem, context,
                         (int)from.line + 1, (int)from.column + 1);
    return fail_mark(y, at, "%s%s%s", problem, *context ? " " : "", context);
}

/* Read the events of the file into y->doc, one node per event (an alias is
 * the node it names), with the limits checked as they come. */
static int compose(ydoc *y, yaml_parser_t *parser, reader *r)
{
    composer c;
    yaml_event_t ev;
    int rc = 0, done = 0;
    size_t i;

    memset(&c, 0, sizeof c);
    c.y = y;
    while (!rc && !done) {
        if (!yaml_parser_parse(parser, &ev)) {
            rc = r->over ? -2 : syntax_error(y, parser, r);
            break;
        }
        switch (ev.type) {
        case YAML_DOCUMENT_START_EVENT:
            if (y->loaded) {
                rc = fail_mark(y, ev.start_mark, "a spec is one YAML document; a second one "
                               "starts here");
                break;
            }
            if (!yaml_document_initialize(&y->doc, NULL, NULL, NULL,
                                          ev.data.document_start.implicit, 1))
                rc = fail_mark(y, ev.start_mark, "out of memory");
            else
                y->loaded = 1;
            break;
        case YAML_SCALAR_EVENT: rc = on_scalar(&c, &ev); break;
        case YAML_ALIAS_EVENT: rc = on_alias(&c, &ev); break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: rc = on_start(&c, &ev); break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: rc = on_end(&c, &ev); break;
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    if (!rc && r->over)
        rc = -2;
    if (rc == -2)
        rc = fail_mark(y, mark_at(r, r->text.len), "the spec goes on past %d MiB here; a spec "
                       "may hold %d MiB (%d bytes)", YDOC_MAX_BYTES >> 20, YDOC_MAX_BYTES >> 20,
                       YDOC_MAX_BYTES);
    for (i = 0; i < c.nanchors_cap; i++)
        free(c.anchors[i].name);
    free(c.anchors);
    free(c.keys);
    if (!rc && !y->loaded) {
        /* No document at all: an empty one, with no root. */
        if (!yaml_document_initialize(&y->doc, NULL, NULL, NULL, 1, 1))
            return fail_mark(y, parser->mark, "out of memory");
        y->loaded = 1;
    }
    return rc;
}

int ydoc_load(ydoc *y, const char *path, quire_error *err)
{
    yaml_parser_t parser;
    reader r;
    FILE *f;
    int rc;

    memset(y, 0, sizeof *y);
    y->file = path;
    y->err = err;
    f = fopen(path, "rb");
    if (!f)
        return quire_err_at(err, QUIRE_EXIT_USAGE, path, 0, 0, "cannot open: %s", strerror(errno));
    memset(&r, 0, sizeof r);
    r.f = f;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input(&parser, read_some, &r);
    rc = compose(y, &parser, &r);
    if (rc)
        ydoc_free(y);
    yaml_parser_delete(&parser);
    sb_free(&r.text);
    fclose(f);
    return rc;
}

void ydoc_free(ydoc *y)
{
    if (y->loaded)
        yaml_document_delete(&y->doc);
    y->loaded = 0;
    free(y->pnames);
    free(y->pvalues);
    free(y->porder);
    y->pnames = y->pvalues = NULL;
    y->porder = NULL;
    y->nparams = 0;
}

/* ------------------------------------------------------------ ${name} */

static int by_name(const void *a, const void *b, void *names)
{
    const char **n = names;
    return strcmp(n[*(const size_t *)a], n[*(const size_t *)b]);
}

void ydoc_set_params(ydoc *y, const char *const *names, const char *const *values, size_t n)
{
    size_t i;

    free(y->pnames);
    free(y->pvalues);
    free(y->porder);
    y->pnames = xcalloc(n + 1, sizeof *y->pnames);
    y->pvalues = xcalloc(n + 1, sizeof *y->pvalues);
    y->porder = xcalloc(n + 1, sizeof *y->porder);
    for (i = 0; i < n; i++) {
        y->pnames[i] = names[i];
        y->pvalues[i] = values[i];
        y->porder[i] = i;
    }
    y->nparams = n;
    qsort_r(y->porder, n, sizeof *y->porder, by_name, y->pnames);
}

void ydoc_set_format(ydoc *y,
                     int (*fn)(void *ctx, size_t param, const char *fmt, size_t len, char *buf,
                               size_t n, char *msg, size_t msgn),
                     void *ctx)
{
    y->format = fn;
    y->format_ctx = ctx;
}

/* The index of the parameter named by the len bytes at name, or -1. */
static long find_param(const ydoc *y, const char *name, size_t len)
{
    size_t lo = 0, hi = y->nparams;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *p = y->pnames[y->porder[mid]];
        int c = strncmp(p, name, len);
        if (c == 0 && p[len])
            c = 1; /* longer than name */
        if (c == 0)
            return (long)y->porder[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

int ydoc_text(ydoc *y, const ynode *n, const char *what, char **out)
{
    const char *p = ynode_text(n), *q, *end;
    size_t in = n->data.scalar.length;
    strbuf b = {0};

    *out = NULL;
    if (!strstr(p, "${")) {
        *out = xstrdup(p);
        return 0;
    }
    while ((q = strstr(p, "${")) != NULL) {
        const char *v, *colon;
        char formatted[128];
        long i;

        end = strchr(q + 2, '}');
        if (!end) {
            sb_free(&b);
            return ydoc_fail(y, n, 0, "unterminated \"${\" in %s", what);
        }
        colon = memchr(q + 2, ':', (size_t)(end - q - 2));
        i = find_param(y, q + 2, (size_t)((colon ? colon : end) - q - 2));
        if (i < 0) {
            char name[128];
            const char *hint;

            snprintf(name, sizeof name, "%.*s", (int)((colon ? colon : end) - q - 2), q + 2);
            if (strcmp(name, "period") == 0) {
                sb_free(&b);
                return ydoc_fail(y, n, 0, "${period} in %s: the report's period is known once "
                                 "\"periods\" is read, so it cannot stand in parameters or "
                                 "periods", what);
            }
            hint = closest_word(name, y->pnames, y->nparams);
            ydoc_fail(y, n, 0, "unknown parameter \"${%s}\" in %s%s%s%s", name, what,
                      hint ? "; did you mean \"${" : "", hint ? hint : "", hint ? "}\"?" : "");
            sb_free(&b);
            return -1;
        }
        if (colon) {
            char msg[300];
            if (!y->format ||
                y->format(y->format_ctx, (size_t)i, colon + 1, (size_t)(end - colon - 1),
                          formatted, sizeof formatted, msg, sizeof msg)) {
                if (!y->format)
                    snprintf(msg, sizeof msg, "${%s} takes no format", y->pnames[i]);
                sb_free(&b);
                return ydoc_fail(y, n, 0, "%s: %s", what, msg);
            }
        }
        v = colon ? formatted : y->pvalues[i] ? y->pvalues[i] : "";
        if (b.len + (size_t)(q - p) + strlen(v) > YDOC_MAX_SCALAR) {
            sb_free(&b);
            return ydoc_fail(y, n, 0, "with ${%s} substituted, %s is longer than %d KiB; a value "
                             "may hold %d KiB (%d bytes)", y->pnames[i], what,
                             YDOC_MAX_SCALAR >> 10, YDOC_MAX_SCALAR >> 10, YDOC_MAX_SCALAR);
        }
        sb_add(&b, p, (size_t)(q - p));
        sb_puts(&b, v);
        p = end + 1;
    }
    if (b.len + strlen(p) > YDOC_MAX_SCALAR) {
        sb_free(&b);
        return ydoc_fail(y, n, 0, "with its parameters substituted, %s is longer than %d KiB; a "
                         "value may hold %d KiB (%d bytes)", what, YDOC_MAX_SCALAR >> 10,
                         YDOC_MAX_SCALAR >> 10, YDOC_MAX_SCALAR);
    }
    sb_puts(&b, p);
    if (b.len > in) {
        y->text += b.len - in;
        if (y->text > YDOC_MAX_TEXT) {
            sb_free(&b);
            return ydoc_fail(y, n, 0, "the spec's values hold more than %d MiB of text by "
                             "here, counting what its aliases repeat and its parameters add; a "
                             "spec may hold %d MiB", YDOC_MAX_TEXT >> 20, YDOC_MAX_TEXT >> 20);
        }
    }
    *out = b.s ? b.s : xstrdup("");
    return 0;
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
