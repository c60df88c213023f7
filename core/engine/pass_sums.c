/* pass_sums.c - what the segment pass adds up, in one allocation. */
#include "pass_sums.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

static size_t total(const pass_sums *s)
{
    size_t npg = s->np * s->ng;
    return npg * (3 + 2 * s->nf + 2 * s->nk);
}

void pass_sums_init(pass_sums *s, size_t np, size_t ng, size_t nf, size_t nk)
{
    size_t npg = np * ng;

    s->np = np;
    s->ng = ng;
    s->nf = nf;
    s->nk = nk;
    s->mem = xcalloc(total(s), sizeof *s->mem);
    s->customers = s->mem;
    s->prev_customers = s->customers + npg;
    s->retained = s->prev_customers + npg;
    s->sums = s->retained + npg;
    s->cohort = s->sums + npg * nf;
    s->csum = s->cohort + npg * nf;
    s->ccount = s->csum + npg * nk;
}

void pass_sums_clear(pass_sums *s)
{
    memset(s->mem, 0, total(s) * sizeof *s->mem);
}

void pass_sums_merge(pass_sums *into, size_t p, const pass_sums *part)
{
    const size_t ng = into->ng, nf = into->nf, np = into->np, pg = p * ng;
    size_t g, k;

    for (g = 0; g < ng; g++) {
        into->customers[pg + g] += part->customers[g];
        into->prev_customers[pg + g] += part->prev_customers[g];
        into->retained[pg + g] += part->retained[g];
    }
    for (g = 0; g < ng * nf; g++) {
        into->sums[pg * nf + g] += part->sums[g];
        into->cohort[pg * nf + g] += part->cohort[g];
    }
    for (k = 0; k < into->nk; k++)
        for (g = 0; g < ng; g++) {
            size_t at = (k * np + p) * ng + g;
            into->csum[at] += part->csum[k * ng + g];
            into->ccount[at] += part->ccount[k * ng + g];
        }
}

void pass_sums_free(pass_sums *s)
{
    free(s->mem);
    memset(s, 0, sizeof *s);
}
