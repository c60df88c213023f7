/*
 * ruletable.h - segment rules written as readable thresholds in the spec,
 * evaluated in C without entering Lua.
 *
 *   segments:
 *     rules:
 *       - New if tenure_months < 2
 *       - VIP if revenue_12m >= 2000 or orders_12m >= 12
 *       - Regular
 *     list: [VIP, Regular, New]
 *
 * Each rule is a segment of the list, then "if" and a condition; the first
 * rule whose condition holds gives the segment, and the last rule has no
 * condition (it takes every customer the others left). A condition compares
 * a field of the record with a number (< <= > >= == !=), and combines
 * comparisons with "not", "and" and "or" (in that order of binding) and
 * parentheses. A comparison with a missing value (nil in a Lua rule) is
 * false. spec_load() parses the rules; spec_bind() resolves the fields
 * (fields.h), so an unknown field is a spec error at its line and column.
 */
#ifndef QUIRE_RULETABLE_H
#define QUIRE_RULETABLE_H

#include <stddef.h>

typedef enum rt_op { RT_LT, RT_LE, RT_GT, RT_GE, RT_EQ, RT_NE, RT_AND, RT_OR, RT_NOT } rt_op;

typedef struct rt_node {
    rt_op op;
    int a, b;      /* AND, OR: the two sides (node indexes); NOT: a */
    char *field;   /* a comparison's field */
    int index;     /* its index in spec_fields() order (-1 until bound) */
    double value;  /* the number it is compared with */
    int line, col; /* where the field's name is in the spec */
} rt_node;

typedef struct rt_rule {
    int segment;   /* index in the segmentation's list */
    int cond;      /* root node of the condition; -1: every customer */
    int line, col; /* of the rule's text in the spec (col: its first character) */
} rt_rule;

typedef struct ruletable {
    rt_rule *rules;
    size_t nrules;
    rt_node *nodes;
    size_t nnodes;
} ruletable;

/* Parse one rule's text into t; names are the segmentation's list. Returns
 * 0, or -1 with msg set and *off the offset in text the message is about. */
int ruletable_add(ruletable *t, const char *text, const char *const *names, size_t nnames,
                  int line, int col, int *off, char *msg, size_t msgsize);
/* The segment of the entity whose field k is vals[k * stride] (NAN:
 * missing): the first rule that holds, or -1 when none does. */
int ruletable_eval(const ruletable *t, const double *vals, size_t stride);
/* Release; accepts NULL. */
void ruletable_free(ruletable *t);

#endif
