/*
 * cohorts.h - customers grouped by the month of their first purchase, and
 * how many of each group buy again, month by month since.
 *
 * Row c is the cohort whose first purchase fell in period c; column k counts
 * its members active k months later (column 0 is the whole cohort), and sums
 * their revenue. Cells past the last period are NAN.
 */
#ifndef QUIRE_COHORTS_H
#define QUIRE_COHORTS_H

#include <stddef.h>

typedef struct cohort_table {
    int nperiods;      /* rows: one per period */
    int ncols;         /* months since the first purchase: 0 .. ncols - 1 */
    double *size;      /* per row: the cohort's customers */
    double *active;    /* [row][col]: members active in the month, NAN past the data */
    double *revenue;   /* [row][col]: their revenue, NAN past the data; NULL without */
} cohort_table;

cohort_table *cohorts_new(int nperiods, int ncols, int with_revenue);
void cohorts_free(cohort_table *t);

/* Add period p: first[e] is entity e's cohort (its first active period, -1
 * for none), active[e] > 0 when it is active in p, revenue[e] its revenue
 * in p (NULL without). Call once per period, in any order. */
void cohorts_add(cohort_table *t, int p, const int *first, const double *active,
                 const double *revenue, size_t n);

/* Row c's retention k months since: active / size, NAN when unknown. */
double cohorts_retention(const cohort_table *t, int c, int k);

/* The average curve over rows [from, to]: per column, the active members of
 * the rows that reach it over those rows' sizes (each customer weighs the
 * same), NAN where no row reaches. */
double cohorts_average(const cohort_table *t, int from, int to, int k);

#endif
