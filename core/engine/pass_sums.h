/*
 * pass_sums.h - what the segment pass adds up, in one allocation.
 *
 * For np periods and ng groups (a segmentation's segments and, last, all
 * customers), with nf fields and nk KPIs:
 *
 *   customers, prev_customers, retained   [p][g]
 *   sums, cohort                           [p][g][field]
 *   csum, ccount                           [k][p][g]
 *
 * sums are the fields summed over the group's customers; cohort the same
 * fields summed over last month's members of the group; csum and ccount the
 * values of KPI k's customer() function, summed and counted. A grouping keeps
 * them for every period; a worker of the pass adds up one period (np = 1),
 * and pass_sums_merge() adds that into the grouping's.
 */
#ifndef QUIRE_PASS_SUMS_H
#define QUIRE_PASS_SUMS_H

#include <stddef.h>

typedef struct pass_sums {
    size_t np, ng, nf, nk;
    double *customers, *prev_customers, *retained;
    double *sums, *cohort;
    double *csum, *ccount;
    double *mem; /* the one block the seven arrays live in */
} pass_sums;

/* All zero, for np periods, ng groups, nf fields and nk KPIs. */
void pass_sums_init(pass_sums *s, size_t np, size_t ng, size_t nf, size_t nk);
/* Back to zero. */
void pass_sums_clear(pass_sums *s);
/* Add part (one period: part->np == 1, the same ng, nf, nk) into period p of
 * into. Each sum gets one addition, so merging parts in a fixed order gives
 * the same numbers on every machine. */
void pass_sums_merge(pass_sums *into, size_t p, const pass_sums *part);
/* Release; accepts a zeroed pass_sums. */
void pass_sums_free(pass_sums *s);

#endif
