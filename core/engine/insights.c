/* insights.c - the insights stage: the report's questions answered once,
 * after the KPIs, for the document to print. */
#include <stdlib.h>

#include "model.h"
#include "util.h"

typedef struct block_answers {
    const spec_block *block;
    char **answers;   /* block->nitems, NULL where a question has none */
} block_answers;

struct insight_answers {
    block_answers *v;
    size_t n;
};

/* Whether any question of b names an insight. */
static int asks(const spec_block *b)
{
    size_t i;

    if (b->kind != BLOCK_QUESTIONS || !b->insights)
        return 0;
    for (i = 0; i < b->nitems; i++)
        if (b->insights[i].script)
            return 1;
    return 0;
}

insight_answers *insights_run(model *m, quire_error *err)
{
    const spec *s = m->s;
    insight_answers *a = xcalloc(1, sizeof *a);
    size_t i, j, n = 0;

    for (i = 0; i < s->nsections; i++)
        for (j = 0; j < s->sections[i].nblocks; j++)
            n += (size_t)asks(&s->sections[i].blocks[j]);
    a->v = xcalloc(n ? n : 1, sizeof *a->v);
    for (i = 0; i < s->nsections; i++) {
        for (j = 0; j < s->sections[i].nblocks; j++) {
            const spec_block *b = &s->sections[i].blocks[j];
            block_answers *ba;

            if (!asks(b))
                continue;
            ba = &a->v[a->n++];
            ba->block = b;
            ba->answers = xcalloc(b->nitems, sizeof *ba->answers);
            if (insights_answer(m, b, ba->answers, err)) {
                insights_free(a);
                return NULL;
            }
        }
    }
    return a;
}

const char *const *insights_for(const insight_answers *a, const spec_block *b)
{
    size_t i;

    for (i = 0; a && i < a->n; i++)
        if (a->v[i].block == b)
            return (const char *const *)a->v[i].answers;
    return NULL;
}

size_t insights_count(const insight_answers *a)
{
    size_t i, k, n = 0;

    for (i = 0; a && i < a->n; i++)
        for (k = 0; k < a->v[i].block->nitems; k++)
            n += a->v[i].answers[k] != NULL;
    return n;
}

void insights_free(insight_answers *a)
{
    size_t i, k;

    if (!a)
        return;
    for (i = 0; i < a->n; i++) {
        for (k = 0; a->v[i].answers && k < a->v[i].block->nitems; k++)
            free(a->v[i].answers[k]);
        free(a->v[i].answers);
    }
    free(a->v);
    free(a);
}
