/* test_pass_sums.c - the segment pass's sums: one block, cleared, merged, freed. */
#include <string.h>

#include "check.h"
#include "pass_sums.h"

/* The seven arrays of s with their lengths, in layout order. */
static void arrays(const pass_sums *s, double **a, size_t *n)
{
    size_t npg = s->np * s->ng;

    a[0] = s->customers, n[0] = npg;
    a[1] = s->prev_customers, n[1] = npg;
    a[2] = s->retained, n[2] = npg;
    a[3] = s->sums, n[3] = npg * s->nf;
    a[4] = s->cohort, n[4] = npg * s->nf;
    a[5] = s->csum, n[5] = npg * s->nk;
    a[6] = s->ccount, n[6] = npg * s->nk;
}

static int all_zero(const pass_sums *s)
{
    double *a[7];
    size_t n[7], i, j;

    arrays(s, a, n);
    for (i = 0; i < 7; i++)
        for (j = 0; j < n[i]; j++)
            if (a[i][j] != 0)
                return 0;
    return 1;
}

/* Zeroed on init, the arrays do not overlap, clear zeroes them again. */
static void test_layout(void)
{
    pass_sums s;
    double *a[7];
    size_t n[7], i, j;
    int bad = 0;

    pass_sums_init(&s, 4, 6, 3, 2);
    CHECK(s.np == 4 && s.ng == 6 && s.nf == 3 && s.nk == 2);
    CHECK(all_zero(&s));
    arrays(&s, a, n);
    for (i = 0; i < 7; i++)
        for (j = 0; j < n[i]; j++)
            a[i][j] = (double)(i * 1000 + j);
    for (i = 0; i < 7; i++)
        for (j = 0; j < n[i]; j++)
            bad += a[i][j] != (double)(i * 1000 + j);
    CHECK(bad == 0);
    /* one block: each array follows the one before */
    for (i = 1; i < 7; i++)
        CHECK(a[i] == a[i - 1] + n[i - 1]);
    CHECK(s.mem == s.customers);
    pass_sums_clear(&s);
    CHECK(all_zero(&s));
    pass_sums_free(&s);
    CHECK(s.mem == NULL && s.customers == NULL && s.np == 0);
    pass_sums_free(&s); /* again, and on a zeroed one: nothing to do */

    /* no fields, no KPIs, one group: still usable */
    pass_sums_init(&s, 1, 1, 0, 0);
    s.customers[0] = 3;
    CHECK(s.retained == s.customers + 2 && s.sums == s.cohort && s.csum == s.ccount);
    pass_sums_free(&s);
}

/* A part (one period) lands in period p of the totals, each sum at its index. */
static void test_merge(void)
{
    enum { NP = 3, NG = 3, NF = 2, NK = 2, P = 1 };
    pass_sums tot, a, b;
    size_t g, f, k;
    int bad = 0;

    pass_sums_init(&tot, NP, NG, NF, NK);
    pass_sums_init(&a, 1, NG, NF, NK);
    pass_sums_init(&b, 1, NG, NF, NK);
    for (g = 0; g < NG; g++) {
        a.customers[g] = 10 + (double)g, b.customers[g] = 100 + (double)g;
        a.prev_customers[g] = 20 + (double)g, b.prev_customers[g] = 200 + (double)g;
        a.retained[g] = 30 + (double)g, b.retained[g] = 300 + (double)g;
        for (f = 0; f < NF; f++) {
            a.sums[g * NF + f] = 0.5 + (double)(g * NF + f);
            b.sums[g * NF + f] = 1000.25;
            a.cohort[g * NF + f] = 7;
            b.cohort[g * NF + f] = (double)f;
        }
        for (k = 0; k < NK; k++) {
            a.csum[k * NG + g] = 1.5 * (double)(k + 1);
            b.csum[k * NG + g] = (double)(k * 10 + g);
            a.ccount[k * NG + g] = 1;
            b.ccount[k * NG + g] = 2;
        }
    }
    pass_sums_merge(&tot, P, &a);
    pass_sums_merge(&tot, P, &b);
    for (g = 0; g < NG; g++) {
        size_t pg = P * NG + g;
        bad += tot.customers[pg] != a.customers[g] + b.customers[g];
        bad += tot.prev_customers[pg] != a.prev_customers[g] + b.prev_customers[g];
        bad += tot.retained[pg] != a.retained[g] + b.retained[g];
        for (f = 0; f < NF; f++) {
            bad += tot.sums[pg * NF + f] != a.sums[g * NF + f] + b.sums[g * NF + f];
            bad += tot.cohort[pg * NF + f] != a.cohort[g * NF + f] + b.cohort[g * NF + f];
        }
        for (k = 0; k < NK; k++) {
            size_t at = (k * NP + P) * NG + g;
            bad += tot.csum[at] != a.csum[k * NG + g] + b.csum[k * NG + g];
            bad += tot.ccount[at] != a.ccount[k * NG + g] + b.ccount[k * NG + g];
        }
    }
    CHECK(bad == 0);
    /* the other periods are untouched */
    bad = 0;
    for (g = 0; g < NG; g++) {
        bad += tot.customers[g] != 0 || tot.customers[2 * NG + g] != 0;
        for (k = 0; k < NK; k++)
            bad += tot.csum[(k * NP + 0) * NG + g] != 0 || tot.csum[(k * NP + 2) * NG + g] != 0;
    }
    CHECK(bad == 0);
    /* the parts are read only */
    CHECK(a.customers[0] == 10 && b.ccount[NK * NG - 1] == 2);
    pass_sums_free(&tot);
    pass_sums_free(&a);
    pass_sums_free(&b);
}

/* Each merge adds each sum once, in the order of the calls: merging the same
 * parts in another order can round differently, so the pass merges its
 * workers in a fixed order. */
static void test_merge_order(void)
{
    pass_sums tot, big, one, minus;

    pass_sums_init(&tot, 2, 1, 1, 1);
    pass_sums_init(&big, 1, 1, 1, 1);
    pass_sums_init(&one, 1, 1, 1, 1);
    pass_sums_init(&minus, 1, 1, 1, 1);
    big.sums[0] = 1e16;
    one.sums[0] = 1;
    minus.sums[0] = -1e16;
    /* period 0: ((0 + 1e16) + 1) - 1e16 == 0, the 1 is lost */
    pass_sums_merge(&tot, 0, &big);
    pass_sums_merge(&tot, 0, &one);
    pass_sums_merge(&tot, 0, &minus);
    CHECK(tot.sums[0] == 0);
    /* period 1: ((0 + 1e16) - 1e16) + 1 == 1 */
    pass_sums_merge(&tot, 1, &big);
    pass_sums_merge(&tot, 1, &minus);
    pass_sums_merge(&tot, 1, &one);
    CHECK(tot.sums[1] == 1);
    pass_sums_free(&tot);
    pass_sums_free(&big);
    pass_sums_free(&one);
    pass_sums_free(&minus);
}

int main(void)
{
    test_layout();
    test_merge();
    test_merge_order();
    return check_done("pass_sums");
}
