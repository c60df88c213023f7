/* fields.c - the fields of the record a segment rule sees, from the spec. */
#include "fields.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"
#include "util.h"

static void add(spec_field **v, size_t *n, const char *name, field_kind kind, int measure,
                int window, int integral)
{
    spec_field *fl;

    *v = xrealloc(*v, (*n + 1) * sizeof **v);
    fl = &(*v)[(*n)++];
    fl->name = xstrdup(name);
    fl->kind = kind;
    fl->measure = measure;
    fl->window = window;
    fl->integral = integral;
}

spec_field *spec_fields(const spec *s, size_t *n)
{
    const spec_source *esrc = spec_find_source(s, s->entity_source);
    spec_field *v = NULL;
    size_t i, j, w;
    int mi = 0;
    char name[160];

    *n = 0;
    for (i = 0; i < s->nfacts; i++) {
        const spec_fact *fd = &s->facts[i];
        const spec_source *src = spec_find_source(s, fd->source);
        if (fd->segment)
            continue;
        for (j = 0; j < fd->nmeasures; j++, mi++) {
            const spec_measure *me = &fd->measures[j];
            const quire_column *mc = me->column ? spec_column(src, me->column) : NULL;
            int additive = me->agg == AGG_COUNT || me->agg == AGG_SUM;
            int integral = me->agg == AGG_COUNT;

            if (me->agg != AGG_COUNT && mc && mc->type == QUIRE_T_DATE) {
                snprintf(name, sizeof name, "days_since_%s", me->name);
                add(&v, n, name, FIELD_DAYS_SINCE, mi, 0, 1);
                continue;
            }
            add(&v, n, me->name, FIELD_MEASURE, mi, 0, integral);
            if (me->agg == AGG_COUNT) {
                snprintf(name, sizeof name, "has_%s", me->name);
                add(&v, n, name, FIELD_HAS, mi, 0, 1);
            }
            for (w = 0; w < s->nwindows && additive; w++) {
                if (s->windows[w] == SPEC_LIFETIME)
                    snprintf(name, sizeof name, "%s_lifetime", me->name);
                else
                    snprintf(name, sizeof name, "%s_%dm", me->name, s->windows[w]);
                add(&v, n, name, FIELD_WINDOW, mi, s->windows[w], integral);
            }
        }
    }
    if (s->entity_since)
        add(&v, n, "tenure_months", FIELD_TENURE, -1, 0, 1);
    for (i = 0; i < s->nentity_attrs; i++) {
        const quire_column *ac = spec_column(esrc, s->entity_attrs[i]);
        if (ac && ac->type == QUIRE_T_STRING) {
            add(&v, n, s->entity_attrs[i], FIELD_TEXT, (int)i, 0, 0);
            continue;
        }
        add(&v, n, s->entity_attrs[i], FIELD_ATTR, (int)i, 0, 0);
        snprintf(name, sizeof name, "has_%s", s->entity_attrs[i]);
        add(&v, n, name, FIELD_ATTR_HAS, (int)i, 0, 1);
    }
    return v;
}

void spec_fields_free(spec_field *v, size_t n)
{
    size_t i;

    for (i = 0; v && i < n; i++)
        free(v[i].name);
    free(v);
}

int spec_field_index(const spec_field *v, size_t n, const char *name)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(v[i].name, name) == 0)
            return (int)i;
    return -1;
}
