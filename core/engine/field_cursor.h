/*
 * field_cursor.h - the values of a model's fields, month after month.
 *
 * A cursor over the facts' periods: fields_advance() moves it to the next
 * period (the lifetime sums and the latest dates move with it), and
 * fields_load() gives a field's values for a run of entities in that
 * period. The segment pass and the models stage both read fields through it,
 * so a field means the same wherever it is read. Which fields there are, and
 * their names, comes from the spec alone (core/spec/fields.h).
 */
#ifndef QUIRE_FIELD_CURSOR_H
#define QUIRE_FIELD_CURSOR_H

#include <stddef.h>
#include <stdint.h>

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

/* A DAYS_SINCE field k's latest dates so far, one per entity (FACTS_NO_DATE:
 * none yet), or NULL when the cursor does not follow it. */
const int32_t *fields_latest(const field_cursor *ft, size_t k);

#endif
