/*
 * test_ydoc.c - YAML files as node trees: scalars, lists, mappings, where
 * each node is, the key check, and errors with their file:line:col.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "ydoc.h"

static char *path_of(const char *name)
{
    return xasprintf("%s/%s", dir, name);
}

/* Write name with text and load it; *path is the file's path (to free). */
static int load(ydoc *y, const char *name, const char *text, char **path, quire_error *err)
{
    fixture_put(name, text);
    *path = path_of(name);
    memset(err, 0, sizeof *err);
    return ydoc_load(y, *path, err);
}

static size_t seq_len(const ynode *n)
{
    return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static ynode *seq_item(ydoc *y, const ynode *n, size_t i)
{
    return ydoc_node(y, n->data.sequence.items.start[i]);
}

/* "line:col" of a node, 1-based, as messages give it. */
static const char *at(const ynode *n)
{
    static char buf[32];
    snprintf(buf, sizeof buf, "%d:%d", (int)n->start_mark.line + 1,
             (int)n->start_mark.column + 1);
    return buf;
}

/* ------------------------------------------------------------ scalars */

static void test_scalars(void)
{
    ydoc y;
    quire_error err;
    char *path;
    ynode *root, *n;

    CHECK(load(&y, "scalars.yaml",
               "plain: hello world\n"
               "number: 0042\n"
               "single: 'it''s'\n"
               "double: \"tab\\there \\u00e9\"\n"
               "literal: |\n"
               "  line one\n"
               "  line two\n"
               "folded: >-\n"
               "  one\n"
               "  two\n"
               "empty:\n"
               "tilde: ~\n"
               "null_word: null\n"
               "quoted_null: \"null\"\n"
               "quoted_empty: ''\n"
               "almost: nul\n",
               &path, &err) == 0);
    root = ydoc_root(&y);
    CHECK(root != NULL && root->type == YAML_MAPPING_NODE);
    if (!root)
        goto out;
    n = ydoc_get(&y, root, "plain");
    CHECK(n && n->type == YAML_SCALAR_NODE);
    CHECK_STR(ynode_text(n), "hello world");
    CHECK(n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE);
    /* Numbers stay text, as written. */
    CHECK_STR(ynode_text(ydoc_get(&y, root, "number")), "0042");
    n = ydoc_get(&y, root, "single");
    CHECK_STR(ynode_text(n), "it's");
    CHECK(n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE);
    n = ydoc_get(&y, root, "double");
    CHECK_STR(ynode_text(n), "tab\there \xc3\xa9");
    CHECK(n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE);
    CHECK_STR(ynode_text(ydoc_get(&y, root, "literal")), "line one\nline two\n");
    CHECK_STR(ynode_text(ydoc_get(&y, root, "folded")), "one two");

    /* Null: empty, ~ or null, and only when plain. */
    CHECK(ynode_is_null(ydoc_get(&y, root, "empty")) == 1);
    CHECK_STR(ynode_text(ydoc_get(&y, root, "empty")), "");
    CHECK(ynode_is_null(ydoc_get(&y, root, "tilde")) == 1);
    CHECK(ynode_is_null(ydoc_get(&y, root, "null_word")) == 1);
    CHECK(ynode_is_null(ydoc_get(&y, root, "quoted_null")) == 0);
    CHECK(ynode_is_null(ydoc_get(&y, root, "quoted_empty")) == 0);
    CHECK(ynode_is_null(ydoc_get(&y, root, "almost")) == 0);
    CHECK(ynode_is_null(ydoc_get(&y, root, "plain")) == 0);
    CHECK(ynode_is_null(root) == 0);

    CHECK(ydoc_get(&y, root, "missing") == NULL);
    CHECK(ydoc_get(&y, root, "Plain") == NULL); /* keys are case-sensitive */
    CHECK_STR(ynode_kind(ydoc_get(&y, root, "plain")), "a scalar");
    CHECK_STR(ynode_kind(root), "a mapping");
out:
    ydoc_free(&y);
    free(path);
}

/* ------------------------------------------------------------ lists and maps */

static void test_structure(void)
{
    ydoc y;
    quire_error err;
    char *path;
    ynode *root, *n, *m;

    CHECK(load(&y, "tree.yaml",
               "block:\n"
               "  - a\n"
               "  - b\n"
               "  - [c, d]\n"
               "  - { k: v }\n"
               "flow: [1, two, \"3\"]\n"
               "none: []\n"
               "nested:\n"
               "  inner:\n"
               "    deep: value\n"
               "  other: { x: 1, y: [2] }\n"
               "base: &anchor { size: 10 }\n"
               "copy: *anchor\n"
               "? [complex, key]\n"
               ": skipped\n"
               "last: end\n",
               &path, &err) == 0);
    root = ydoc_root(&y);
    if (!root) {
        CHECK(0);
        goto out;
    }

    n = ydoc_get(&y, root, "block");
    CHECK(n && n->type == YAML_SEQUENCE_NODE);
    CHECK_STR(ynode_kind(n), "a list");
    CHECK(seq_len(n) == 4);
    if (seq_len(n) == 4) {
        CHECK_STR(ynode_text(seq_item(&y, n, 0)), "a");
        CHECK_STR(ynode_text(seq_item(&y, n, 1)), "b");
        m = seq_item(&y, n, 2);
        CHECK(m->type == YAML_SEQUENCE_NODE && seq_len(m) == 2);
        CHECK_STR(ynode_text(seq_item(&y, m, 1)), "d");
        m = seq_item(&y, n, 3);
        CHECK(m->type == YAML_MAPPING_NODE);
        CHECK_STR(ynode_text(ydoc_get(&y, m, "k")), "v");
    }
    n = ydoc_get(&y, root, "flow");
    CHECK(n && seq_len(n) == 3);
    if (n && seq_len(n) == 3) {
        CHECK_STR(ynode_text(seq_item(&y, n, 0)), "1");
        CHECK_STR(ynode_text(seq_item(&y, n, 1)), "two");
        CHECK_STR(ynode_text(seq_item(&y, n, 2)), "3");
        CHECK(seq_item(&y, n, 2)->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE);
    }
    n = ydoc_get(&y, root, "none");
    CHECK(n && n->type == YAML_SEQUENCE_NODE && seq_len(n) == 0);

    n = ydoc_get(&y, ydoc_get(&y, ydoc_get(&y, root, "nested"), "inner"), "deep");
    CHECK(n && strcmp(ynode_text(n), "value") == 0);
    m = ydoc_get(&y, ydoc_get(&y, root, "nested"), "other");
    CHECK(m && m->type == YAML_MAPPING_NODE);
    if (m) {
        CHECK_STR(ynode_text(ydoc_get(&y, m, "x")), "1");
        n = ydoc_get(&y, m, "y");
        CHECK(n && n->type == YAML_SEQUENCE_NODE && seq_len(n) == 1);
    }
    /* An alias is the node it names. */
    n = ydoc_get(&y, root, "copy");
    CHECK(n != NULL && n == ydoc_get(&y, root, "base"));
    CHECK(n && strcmp(ynode_text(ydoc_get(&y, n, "size")), "10") == 0);
    /* A key that is not a scalar is never matched; the next keys still are. */
    CHECK_STR(ynode_text(ydoc_get(&y, root, "last")), "end");
    CHECK(ydoc_get(&y, root, "complex") == NULL);
    /* Node ids outside the document. */
    CHECK(ydoc_node(&y, 0) == NULL);
    CHECK(ydoc_node(&y, 100000) == NULL);
out:
    ydoc_free(&y);
    free(path);
}

/* ------------------------------------------------------------ positions */

static void test_positions(void)
{
    ydoc y;
    quire_error err;
    char *path, want[600], text[QUIRE_ERROR_TEXT_MAX];
    ynode *root, *n;

    CHECK(load(&y, "pos.yaml",
               "# a comment\n"
               "title: Report\n"
               "list:\n"
               "  - first\n"
               "  -   second\n"
               "map: { a: 1,  b: \"two\" }\n"
               "text: |\n"
               "  block\n",
               &path, &err) == 0);
    root = ydoc_root(&y);
    if (!root) {
        CHECK(0);
        goto out;
    }
    CHECK_STR(at(root), "2:1"); /* the first key; comments are not nodes */
    CHECK_STR(at(ydoc_get(&y, root, "title")), "2:8");
    n = ydoc_get(&y, root, "list");
    CHECK_STR(at(n), "4:3");
    CHECK_STR(at(seq_item(&y, n, 0)), "4:5");
    CHECK_STR(at(seq_item(&y, n, 1)), "5:7");
    n = ydoc_get(&y, root, "map");
    CHECK_STR(at(n), "6:6");
    CHECK_STR(at(ydoc_get(&y, n, "a")), "6:11");
    CHECK_STR(at(ydoc_get(&y, n, "b")), "6:18"); /* at the opening quote */
    CHECK_STR(at(ydoc_get(&y, root, "text")), "7:7");

    /* ydoc_fail: the node's position, moved right by coloff. */
    n = ydoc_get(&y, ydoc_get(&y, root, "map"), "b");
    memset(&err, 0, sizeof err);
    CHECK(ydoc_fail(&y, n, 0, "bad %s %d", "thing", 7) == -1);
    CHECK(err.code == QUIRE_EXIT_USAGE);
    CHECK_STR(err.file, path);
    CHECK(err.line == 6 && err.col == 18);
    CHECK_STR(err.msg, "bad thing 7");
    snprintf(want, sizeof want, "%s:6:18: error: bad thing 7", path);
    CHECK_STR(quire_err_format(&err, text, sizeof text), want);
    CHECK(ydoc_fail(&y, n, 2, "inside") == -1);
    CHECK(err.line == 6 && err.col == 20);
    CHECK_STR(err.msg, "inside");
    /* No node: the top of the file. */
    CHECK(ydoc_fail(&y, NULL, 5, "whole file") == -1);
    CHECK_STR(err.file, path);
    CHECK(err.line == 1 && err.col == 1);
    CHECK_STR(err.msg, "whole file");
    /* Without an error to fill, it still fails. */
    y.err = NULL;
    CHECK(ydoc_fail(&y, n, 0, "nowhere") == -1);
    y.err = &err;
out:
    ydoc_free(&y);
    free(path);
}

/* ------------------------------------------------------------ keys */

static void test_keys(void)
{
    static const char *const allowed[] = {"title", "subtitle", "sources"};
    ydoc y;
    quire_error err;
    char *path;
    ynode *root;

    CHECK(load(&y, "keys.yaml",
               "good: { title: a, sources: b }\n"
               "typo: { title: a, subtilte: b }\n"
               "far: { title: a, zzz: b }\n"
               "complex: { title: a, [x]: b }\n",
               &path, &err) == 0);
    root = ydoc_root(&y);
    if (!root) {
        CHECK(0);
        goto out;
    }
    CHECK(ydoc_check_keys(&y, ydoc_get(&y, root, "good"), "a test", allowed, 3) == 0);
    CHECK(err.code == 0);

    CHECK(ydoc_check_keys(&y, ydoc_get(&y, root, "typo"), "a test", allowed, 3) == -1);
    CHECK_STR(err.file, path);
    CHECK(err.line == 2 && err.col == 19);
    CHECK_STR(err.msg, "unknown key \"subtilte\" in a test; did you mean \"subtitle\"?");

    memset(&err, 0, sizeof err);
    CHECK(ydoc_check_keys(&y, ydoc_get(&y, root, "far"), "a test", allowed, 3) == -1);
    CHECK(err.line == 3 && err.col == 18);
    CHECK_STR(err.msg, "unknown key \"zzz\" in a test; allowed keys: title, subtitle, sources");

    memset(&err, 0, sizeof err);
    CHECK(ydoc_check_keys(&y, ydoc_get(&y, root, "complex"), "a test", allowed, 3) == -1);
    CHECK(err.line == 4 && err.col == 22);
    CHECK_STR(err.msg, "keys of a test must be plain names");
out:
    ydoc_free(&y);
    free(path);
}

/* ------------------------------------------------------------ errors */

/* want: the diagnostic after "path:" ("2:2: error: ..."). */
static void expect_syntax(const char *text, const char *want)
{
    ydoc y;
    quire_error err;
    char *path, full[700], got[QUIRE_ERROR_TEXT_MAX];

    CHECK(load(&y, "bad.yaml", text, &path, &err) == -1);
    CHECK(err.code == QUIRE_EXIT_USAGE);
    CHECK_STR(err.file, path);
    CHECK(err.line > 0 && err.col > 0);
    snprintf(full, sizeof full, "%s:%s", path, want);
    CHECK_STR(quire_err_format(&err, got, sizeof got), full);
    CHECK(y.loaded == 0);
    ydoc_free(&y); /* harmless after a failed load */
    free(path);
}

static void test_errors(void)
{
    ydoc y;
    quire_error err = {0};
    char *path;

    CHECK(ydoc_load(&y, "/nonexistent/x.yaml", &err) == -1);
    CHECK(err.code == QUIRE_EXIT_USAGE);
    CHECK_STR(err.file, "/nonexistent/x.yaml");
    CHECK(err.line == 0);
    CHECK_STR(err.msg, "cannot open: No such file or directory");
    ydoc_free(&y);

    /* An unclosed "[" or quote is an error where it opens. */
    expect_syntax("a: [1, 2\nb: 3\n", "1:4: error: this \"[\" is never closed: at 2:2 there is "
                                      "no \",\" or \"]\" where one should be");
    expect_syntax("a: {x: 1\n", "1:4: error: this \"{\" is never closed: at 2:1 there is no "
                                "\",\" or \"}\" where one should be");
    expect_syntax("a: \"abc\n", "1:4: error: this quote is never closed: the file ends at 2:1");
    expect_syntax("a: 'abc\n---\nb: 1\n", "1:4: error: this quote is never closed: the document "
                                          "marker at 2:1 ends it");
    /* A flow list on one line: where it goes wrong, naming where it opens. */
    expect_syntax("a: [1, \"2\" 3]\n", "1:12: error: did not find expected ',' or ']' while "
                                      "parsing a flow sequence that starts at 1:4");
    /* Indentation: a tab, a key deeper than the one before it. */
    expect_syntax("a:\n\tb: 1\n", "2:1: error: a tab where YAML wants spaces: indent with "
                                  "spaces only");
    expect_syntax("a: x\n\tb: 1\n", "2:1: error: a tab where YAML wants spaces: indent with "
                                    "spaces only");
    expect_syntax("a: 1\n b: 2\n", "2:2: error: this key is indented deeper than line 1, so it "
                                   "reads as more of the value there; line it up with the keys "
                                   "beside it");
    expect_syntax("a: 1\n\n   b: 2\n", "3:4: error: this key is indented deeper than "
                                              "line 1, so it reads as more of the value there; "
                                              "line it up with the keys beside it");
    expect_syntax("a: b: c\n", "1:5: error: mapping values are not allowed in this context");
    expect_syntax("a: *nope\n", "1:4: error: alias \"*nope\" names no anchor before it");
    expect_syntax("k: v\n- x\n", "2:1: error: did not find expected key while parsing a block "
                                 "mapping that starts at 1:1");
    /* Bytes that are not YAML text, where they are (libyaml gives an offset). */
    expect_syntax("a: 1\nb: \"x\001\"\n", "2:6: error: control character 0x01 is not allowed "
                                           "in YAML");
    expect_syntax("a: 1\nbb: \xc3\xa9\xff\n", "2:6: error: the file is not UTF-8 here: "
                                            "invalid leading UTF-8 octet (0xFF); save it as UTF-8");
    expect_syntax("a: 1\nb: x\xe2\x82\n", "2:5: error: the file is not UTF-8 here: invalid "
                                        "trailing UTF-8 octet (0x0A); save it as UTF-8");
    expect_syntax("a: \xed\xa0\x80\n", "1:4: error: the file is not UTF-8 here: invalid Unicode "
                                     "character (U+D800); save it as UTF-8");

    /* An empty file, or one of comments only, loads with no root. */
    CHECK(load(&y, "empty.yaml", "", &path, &err) == 0);
    CHECK(ydoc_root(&y) == NULL);
    ydoc_free(&y);
    ydoc_free(&y); /* twice is harmless */
    free(path);
    CHECK(load(&y, "comments.yaml", "# nothing\n\n# here\n", &path, &err) == 0);
    CHECK(ydoc_root(&y) == NULL);
    ydoc_free(&y);
    free(path);

    /* A document that is a single scalar or a list. */
    CHECK(load(&y, "scalar.yaml", "just text\n", &path, &err) == 0);
    CHECK(ydoc_root(&y) && ydoc_root(&y)->type == YAML_SCALAR_NODE &&
          strcmp(ynode_text(ydoc_root(&y)), "just text") == 0);
    ydoc_free(&y);
    free(path);
    CHECK(load(&y, "list.yaml", "- 1\n- 2\n", &path, &err) == 0);
    CHECK(ydoc_root(&y) && ydoc_root(&y)->type == YAML_SEQUENCE_NODE &&
          seq_len(ydoc_root(&y)) == 2);
    ydoc_free(&y);
    free(path);
}

/* ------------------------------------------------------------ limits */

/* Load text (made by the test, freed here) and expect the error want after
 * the path ("line:col: error: ..."); want NULL: expect it to load. */
static void expect_limit(strbuf *text, const char *want)
{
    ydoc y;
    quire_error err;
    char *path, full[900];

    if (want) {
        expect_syntax(text->s, want);
    } else {
        CHECK(load(&y, "big.yaml", text->s, &path, &err) == 0);
        if (err.code)
            fprintf(stderr, "  %s\n", err.msg);
        ydoc_free(&y);
        free(path);
    }
    (void)full;
    sb_free(text);
}

static void test_limits(void)
{
    strbuf b = {0};
    char want[300];
    size_t i, col;

    /* A value: 64 KiB is fine, a byte more is not; the error is at the value. */
    sb_puts(&b, "a: x\nb: ");
    for (i = 0; i < YDOC_MAX_SCALAR; i++)
        sb_add(&b, "v", 1);
    sb_puts(&b, "\n");
    expect_limit(&b, NULL);
    sb_puts(&b, "a: x\nb: \"");
    for (i = 0; i <= YDOC_MAX_SCALAR; i++)
        sb_add(&b, "v", 1);
    sb_puts(&b, "\"\n");
    expect_limit(&b, "2:4: error: this value is 65537 bytes long; a value may hold 64 KiB "
                     "(65536 bytes)");

    /* Nesting: 64 lists inside one another are fine, the 65th is refused where
     * it opens, long before the end of a deep file (whose nesting libyaml
     * would read in a time that grows with its square). */
    for (i = 0; i < YDOC_MAX_DEPTH; i++)
        sb_add(&b, "[", 1);
    for (i = 0; i < YDOC_MAX_DEPTH; i++)
        sb_add(&b, "]", 1);
    expect_limit(&b, NULL);
    for (i = 0; i < 250000; i++)
        sb_add(&b, "[", 1);
    for (i = 0; i < 250000; i++)
        sb_add(&b, "]", 1);
    expect_limit(&b, "1:65: error: lists and mappings nest more than 64 deep here; a spec may "
                     "nest them 64 deep");
    for (i = 0; i < 40; i++) /* block mappings and lists count alike */
        sb_printf(&b, "%*sk%zu:\n", (int)i, "", i);
    for (i = 0; i < 30; i++)
        sb_puts(&b, i ? "  - " : "                                        - ");
    sb_puts(&b, "x\n");
    expect_limit(&b, "41:137: error: lists and mappings nest more than 64 deep here; a spec "
                     "may nest them 64 deep");

    /* The file: 1 MiB is fine; past it, the error is where the limit falls. */
    for (i = 0; b.len + 60010 < YDOC_MAX_BYTES; i++) {
        sb_printf(&b, "- ");
        while (b.len % 60000 != 59999)
            sb_add(&b, "w", 1);
        sb_add(&b, "\n", 1);
    }
    while (b.len < YDOC_MAX_BYTES - 1)
        sb_add(&b, "#", 1);
    sb_add(&b, "\n", 1);
    CHECK(b.len == YDOC_MAX_BYTES);
    expect_limit(&b, NULL);
    for (i = 0; b.len + 60010 < YDOC_MAX_BYTES; i++) {
        sb_printf(&b, "- ");
        while (b.len % 60000 != 59999)
            sb_add(&b, "w", 1);
        sb_add(&b, "\n", 1);
    }
    while (b.len < YDOC_MAX_BYTES + 100)
        sb_add(&b, "#", 1);
    snprintf(want, sizeof want, "%zu:%zu: error: the spec goes on past 1 MiB here; a spec may "
             "hold 1 MiB (1048576 bytes)", i + 1, (size_t)YDOC_MAX_BYTES - i * 60000 + 1);
    expect_limit(&b, want);

    /* Aliases: nested ones ("a billion laughs") are counted as the nodes
     * they repeat, and refused at the alias that passes the limit. */
    sb_puts(&b, "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for (i = 1; i < 9; i++) {
        size_t k;
        sb_printf(&b, "a%zu: &a%zu [", i, i);
        for (k = 0; k < 10; k++)
            sb_printf(&b, "%s*a%zu", k ? ", " : "", i - 1);
        sb_puts(&b, "]\n");
    }
    /* 11, 111, 1111 and 11111 nodes on lines 1 to 4 (12350 with the root
     * and the keys), then 111111 on line 5: its 8th alias passes 100000. */
    expect_limit(&b, "5:45: error: the spec holds more than 100000 values, lists and mappings by "
                     "here, counting what its aliases repeat; a spec may hold 100000");
    /* ... and as the text they repeat. */
    sb_puts(&b, "a: &a ");
    for (i = 0; i < 60000; i++)
        sb_add(&b, "t", 1);
    sb_puts(&b, "\nb: [*a");
    for (i = 1, col = 5; i < 80; i++, col += 4)
        sb_puts(&b, ", *a");
    sb_puts(&b, "]\n");
    /* 60000 bytes, then 60000 more per alias: the 69th passes 4 MiB. */
    snprintf(want, sizeof want, "2:%d: error: the spec's values hold more than 4 MiB of text by "
             "here, counting what its aliases repeat; a spec may hold 4 MiB", 5 + 68 * 4);
    expect_limit(&b, want);
    (void)col;

    /* An anchored list holding many anchors (the table of anchors grows
     * while the list is open) is counted whole. */
    sb_puts(&b, "a: &outer [");
    for (i = 0; i < 300; i++)
        sb_printf(&b, "%s&in%zu x", i ? ", " : "", i);
    sb_puts(&b, "]\nb: [");
    for (i = 0; i < 400; i++)
        sb_printf(&b, "%s*outer", i ? ", " : "");
    sb_puts(&b, "]\n");
    /* 305 nodes with b's list, then 301 per alias: the 332nd passes. */
    expect_limit(&b, "2:2653: error: the spec holds more than 100000 values, lists and "
                     "mappings by here, counting what its aliases repeat; a spec may hold "
                     "100000");

    /* An alias inside the node it names would make a loop; an anchor names
     * one node. */
    sb_puts(&b, "a: &x [1, *x]\n");
    expect_limit(&b, "1:11: error: alias \"*x\" is inside the node its anchor names: it would "
                     "hold itself");
    sb_puts(&b, "a: &x 1\nb: [2, &x 3]\n");
    expect_limit(&b, "2:8: error: anchor \"&x\" is defined twice (first on line 1)");
}

/* ------------------------------------------------------------ duplicate keys */

static void test_duplicate_keys(void)
{
    strbuf b = {0};
    size_t i;

    /* The second key is the error, naming the first's line. */
    expect_syntax("a: 1\nb:\n  x: 1\n  y: 2\n  x: 3\n",
                  "5:3: error: duplicate key \"x\" in this mapping (first on line 3)");
    expect_syntax("a: {k: 1, j: 2, k: 3}\n",
                  "1:17: error: duplicate key \"k\" in this mapping (first on line 1)");
    /* Quoting does not make another key; an alias is its anchor's text. */
    expect_syntax("a: 1\n\"a\": 2\n",
                  "2:1: error: duplicate key \"a\" in this mapping (first on line 1)");
    expect_syntax("a: &k key\nb: {key: 1, *k : 2}\n",
                  "2:13: error: duplicate key \"key\" in this mapping (first on line 2)");
    /* The same key in two mappings, and a mapping repeated by an alias, are fine. */
    sb_puts(&b, "a: &m {x: 1, y: 2}\nb: {x: 1, y: 2}\nc: *m\nd: [*m, *m]\n");
    expect_limit(&b, NULL);
    /* Many keys are checked in time that grows with their number; the last
     * one repeats the first. */
    for (i = 0; i < 40000; i++)
        sb_printf(&b, "key%zu: %zu\n", i, i);
    expect_limit(&b, NULL);
    for (i = 0; i < 40000; i++)
        sb_printf(&b, "key%zu: %zu\n", i, i);
    sb_puts(&b, "key0: again\n");
    expect_limit(&b, "40001:1: error: duplicate key \"key0\" in this mapping (first on line 1)");
}

/* ------------------------------------------------------------ documents */

static void test_documents(void)
{
    ydoc y;
    quire_error err;
    char *path;

    /* One document, with or without its markers. */
    CHECK(load(&y, "one.yaml", "---\na: 1\n...\n# done\n", &path, &err) == 0);
    CHECK(ydoc_root(&y) && ydoc_root(&y)->type == YAML_MAPPING_NODE);
    ydoc_free(&y);
    free(path);
    /* A second one is an error where it starts, not a file read in part. */
    expect_syntax("a: 1\n---\nb: 2\n",
                  "2:1: error: a spec is one YAML document; a second one starts here");
    expect_syntax("---\na: 1\n...\n---\n",
                  "4:1: error: a spec is one YAML document; a second one starts here");
}

int main(void)
{
    if (fixture_open("/tmp/quire-ydoc-"))
        return 2;
    test_scalars();
    test_structure();
    test_positions();
    test_keys();
    test_errors();
    test_limits();
    test_duplicate_keys();
    test_documents();
    fixture_close();
    return check_done("ydoc");
}
