/*
 * facts.h - per-entity, per-month aggregates folded from streamed rows.
 *
 * The entity source is loaded first and gives every entity a dense index.
 * Fact sources then stream in, each on a thread of its own: each row is
 * mapped to its entity and month and folded into the declared measures
 * (count, sum, min, max). Memory is entities x months with data x measures, never rows: a
 * measure's values are stored [period][entity], so the month being filled is
 * contiguous, and a month without rows costs nothing.
 */
#ifndef QUIRE_FACTS_H
#define QUIRE_FACTS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "plugins.h"
#include "source.h"
#include "spec.h"

#define FACTS_NO_DATE INT32_MIN

typedef enum facts_store {
    STORE_COUNT = 0,  /* uint32_t */
    STORE_ISUM,       /* int32_t: sums of integer columns, promoted to DSUM on overflow */
    STORE_DSUM,       /* double */
    STORE_NUM,        /* double, min/max over numbers (NAN = none) */
    STORE_DATE        /* int32_t, min/max over dates (FACTS_NO_DATE = none) */
} facts_store;

typedef struct facts_measure {
    const spec_measure *def;
    int is_date;          /* min/max over a date column: values are days */
    facts_store store;
    /* Per period, an array of nentities values, allocated when the first row
     * of that period arrives (NULL: no row in that month). */
    void **per;
} facts_measure;

/* An attribute of the entities, one value per entity (entities: attributes). */
typedef struct facts_attr {
    const char *name;     /* borrowed from the spec */
    int text;             /* a string column (else a number) */
    double *num;          /* number: per entity, NAN = empty */
    uint32_t *code;       /* text: per entity, 0 = empty, else index + 1 in values */
    char **values;        /* text: the distinct values, in order of appearance */
    size_t nvalues;
    uint32_t *slots;      /* text: hash of values (index + 1) */
    size_t nslots;
} facts_attr;

/* Facts keyed by segment name (a fact with "segment:"): per name and period,
 * each measure's sum, NAN where no row. */
typedef struct facts_segrow {
    char *name;
    double *v;            /* [measure][period] */
} facts_segrow;

typedef struct facts {
    int month0;           /* period index of period 0, in grain (a month index by default) */
    grain grain;          /* the spec's grain (date.h) */
    int nperiods;
    size_t nentities;
    int int_keys;         /* keys are integers (else strings) */
    int64_t *ikeys;       /* per entity, when int_keys */
    char **skeys;         /* per entity, otherwise */
    int32_t *since;       /* per entity: days, FACTS_NO_DATE if unknown */
    facts_measure *m;
    size_t nmeasures;
    struct region *mem;   /* where the measures' per-period arrays live */
    facts_attr *attrs;    /* the spec's entity attributes, in its order */
    size_t nattrs;
    const spec_measure **segm; /* measures of facts about segments */
    size_t nsegm;
    facts_segrow *segrows;
    size_t nsegrows;
    double *segtotal;     /* [measure][period]: every row's sum, NAN = no row */
    /* key lookup */
    uint32_t *slots;      /* open addressing: entity index + 1, 0 = empty */
    size_t nslots;
    uint32_t *direct;     /* dense integer keys: direct[key - dmin] = index + 1 */
    int64_t dmin, dmax;
    /* what was skipped, for the run summary */
    uint64_t rows, unknown_keys, outside, null_rows, duplicates;
} facts;

/* Load entities and fold every fact source of the spec; the sources' notes
 * go to notes (may be NULL). */
facts *facts_build(const spec *s, plugin_registry *reg, data_notes *notes, quire_error *err);
void facts_free(facts *f);

/* Index of the entity with this integer / string key, or -1. */
long facts_find_int(const facts *f, int64_t key);
long facts_find_str(const facts *f, const char *key, size_t len);

/* A measure's value in period p for entity e, as a double: counts and sums
 * are 0 where no row was seen; min/max are NAN (dates: days as a double). */
double facts_value(const facts *f, size_t m, int p, size_t e);
/* Measure m in period p for entities [from, from + n), as doubles, into out
 * (the same values as facts_value, a whole run at a time). */
void facts_load(const facts *f, size_t m, int p, size_t from, size_t n, double *out);
/* A rolling window of a count or sum measure: out[i] = the sum of entity
 * (from + i)'s values over the months months ending with period p (months 0:
 * every month up to p), added oldest first from 0. Each window is summed
 * afresh from its months, so it is the same double as adding those months up
 * by hand, whatever the months before it held (a running sum that adds the
 * new month and subtracts the one that left drifts: 56.13 + 198.44 + 245.43
 * could come out as 499.99999999999994). */
void facts_window(const facts *f, size_t m, int p, int months, size_t from, size_t n,
                  double *out);
/* acc[e] += the value of period p for every entity, for a count or sum
 * measure. Called for periods 0, 1, ..., p in turn on a zeroed acc, it gives
 * facts_window(f, m, p, 0, ...) exactly: the same additions in the same order. */
void facts_accumulate(const facts *f, size_t m, int p, double *acc);
/* The dates of a date measure in period p (nentities values), or NULL. */
const int32_t *facts_dates(const facts *f, size_t m, int p);
/* Bytes held by the aggregates, for --verbose. */
size_t facts_bytes(const facts *f);
/* Index of the measure called name, or -1. */
int facts_measure_index(const facts *f, const char *name);
/* The row of facts about the segment called name, or NULL. */
const facts_segrow *facts_segment(const facts *f, const char *name);

/* The entity's key as text. */
void facts_key_text(const facts *f, size_t e, char *buf, size_t n);

/* The facts' period index (month0 based, not p) of a day. */
static inline int facts_period_of(const facts *f, int32_t day)
{
    return f->grain.kind == GRAIN_MONTH ? month_of_days(day) : grain_period(f->grain, day);
}
/* The last day of facts period p. */
static inline int32_t facts_period_end(const facts *f, int p)
{
    return f->grain.kind == GRAIN_MONTH ? month_last_day(f->month0 + p)
                                        : grain_last_day(f->grain, f->month0 + p);
}

#endif
