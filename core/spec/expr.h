/*
 * expr.h - the small expression language of a source's derived columns and
 * row conditions (docs/spec.md, "Preparing a source's rows").
 *
 *   amount: Quantity * UnitPrice
 *   cancelled: not starts_with(InvoiceNo, "C")
 *   non-product: StockCode not in ["POST", "D", "M"]
 *
 * An expression is parsed once, when the spec is loaded, against the types of
 * the columns it names, so that every mistake (a name, a type, a bracket) is
 * found before a row is read and reported at its byte in the text. It is then
 * evaluated row by row over the cells of a batch. Evaluation never fails: an
 * operand that is empty (null) makes the result null (but `x == null`), and
 * so do a division by zero and an integer result outside 64 bits.
 */
#ifndef QUIRE_EXPR_H
#define QUIRE_EXPR_H

#include <stddef.h>
#include <stdint.h>

#include "quire/plugin.h"

/* The type of an expression or a value. */
typedef enum expr_type {
    EXPR_NULL = 0, /* the literal null, or an empty value */
    EXPR_BOOL,
    EXPR_INT,
    EXPR_NUM,
    EXPR_STR,
    EXPR_DATE
} expr_type;

typedef struct expr_val {
    expr_type t;      /* EXPR_NULL: no value */
    int64_t i;        /* BOOL (0/1), INT, DATE (days since 1970-01-01) */
    double n;         /* NUM */
    const char *s;    /* STR: not NUL-terminated */
    size_t len;
} expr_val;

typedef struct expr_code expr_code;

/* A column an expression may name, and its type. */
typedef struct expr_column {
    const char *name;
    quire_type type;
} expr_column;

/* Where a parse failed: the byte of the text, and why. */
typedef struct expr_error {
    size_t at;
    char msg[256];
} expr_error;

/*
 * Parse text. cols lists the columns with a type (a name not among them is a
 * column of the file read as text). Returns the expression (free it with
 * expr_free), or NULL with *e set.
 */
expr_code *expr_parse(const char *text, const expr_column *cols, size_t ncols, expr_error *e);
void expr_free(expr_code *x);

/* The type of the expression's result; never EXPR_NULL. */
expr_type expr_result(const expr_code *x);
/* The quire column type of a result type. */
quire_type expr_column_type(expr_type t);

/* The columns the expression reads, each once: names borrowed from x. */
size_t expr_ncolumns(const expr_code *x);
const char *expr_column_name(const expr_code *x, size_t i);

/* Bytes for results made while evaluating (lower, upper, +); they stay valid
 * until expr_scratch_reset or expr_scratch_free. */
typedef struct expr_scratch {
    char **blocks;
    size_t nblocks, used, room;
} expr_scratch;
void expr_scratch_reset(expr_scratch *sc);
void expr_scratch_free(expr_scratch *sc);

/* The value of x for row r of batch b, where at[i] is the column of b that
 * holds column i of expr_column_name(). x is not changed: threads may share
 * it. */
void expr_eval(const expr_code *x, const uint32_t *at, const quire_batch *b, uint32_t r,
               expr_scratch *sc, expr_val *out);

/* Whether a condition's value lets the row through: true, not false or null. */
int expr_true(const expr_val *v);

#endif
