/*
 * fields.h - the fields of the record a segment rule sees, named and typed
 * from a bound spec alone.
 *
 * For each measure of a fact keyed by the entity, in the spec's order: the
 * measure (days_since_<name> for the min/max of a date column), has_<name>
 * for a count, and <name>_<N>m / <name>_lifetime for each window of a count
 * or sum; then tenure_months with entities.since; then each attribute
 * (has_<name> beside a number one). The segment pass computes them in this
 * order (model.h), and a rule table names them (ruletable.h).
 */
#ifndef QUIRE_FIELDS_H
#define QUIRE_FIELDS_H

#include <stddef.h>

typedef struct spec spec;

typedef enum field_kind {
    FIELD_MEASURE = 0, /* the measure's value in the month */
    FIELD_WINDOW,      /* over the last N months, this one included (0: all loaded) */
    FIELD_DAYS_SINCE,  /* days from the month's end to the latest date so far */
    FIELD_TENURE,      /* whole months since the entity's start */
    FIELD_HAS,         /* 1 when the count measure is above 0 in the month */
    FIELD_ATTR,        /* a numeric attribute of the entity */
    FIELD_ATTR_HAS,    /* 1 when the entity has a value for the attribute */
    FIELD_TEXT,        /* a text attribute (or a model's label): in records, never summed */
    FIELD_MODEL        /* a number the models stage fitted (core/engine/models.h); never
                        * one of spec_fields(): the models stage adds it to the record */
} field_kind;

typedef struct spec_field {
    char *name;
    field_kind kind;
    int measure;  /* index among the keyed facts' measures, or of the attribute (ATTR, TEXT) */
    int window;   /* months (WINDOW; SPEC_LIFETIME: all loaded) */
    int integral; /* a whole number (pushed to Lua as an integer) */
} spec_field;

/* The fields of spec s (bound: its column types known), *n of them; free
 * with spec_fields_free. */
spec_field *spec_fields(const spec *s, size_t *n);
void spec_fields_free(spec_field *v, size_t n);
/* Index of the field called name, or -1. */
int spec_field_index(const spec_field *v, size_t n, const char *name);

#endif
