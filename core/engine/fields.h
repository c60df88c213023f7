/*
 * fields.h - the values of a model's fields, month after month.
 *
 * A cursor over the facts' periods: fields_advance() moves it to the next
 * period (the running window sums and the latest dates move with it), and
 * fields_load() gives a field's values for a run of entities in that
 * period. The segment pass and the models stage both read fields through it,
 * so a field means the same wherever it is read.
 */
#ifndef QUIRE_FIELDS_H
#define QUIRE_FIELDS_H

#include <stddef.h>

#include "model.h"

typedef struct field_cursor field_cursor;

/* A cursor before period 0 over the fields of m that need[k] marks (NULL:
 * the fields marked needed). The model's fields must not change while it
 * lives. */
field_cursor *fields_new(const model *m, const char *need);
void fields_free(field_cursor *ft);

/* Move to period p: the next one after the last (0 first). */
void fields_advance(field_cursor *ft, int p);

/* Field k's values in the current period for entities [from, from + n) into
 * out (NAN: none). Safe from several threads between two advances. */
void fields_load(const field_cursor *ft, size_t k, size_t from, size_t n, double *out);

#endif
