/*
 * report_models.h - the document blocks that show what the models stage
 * found (a spec's "model:" blocks): the RFM grid, the RFM segments, the
 * cluster profiles and the cohort triangle. report.c calls it for each such
 * block and embeds the data behind it as it does for every chart and table.
 */
#ifndef QUIRE_REPORT_MODELS_H
#define QUIRE_REPORT_MODELS_H

#include "doc.h"
#include "model.h"
#include "models.h"
#include "util.h"

/* Take p (malloc'd) into the document's keeping; returns p. */
typedef void *(*report_keep_fn)(void *ctx, void *p);

/* Fill db from block sb (kind BLOCK_MODEL) for report month rp: a heatmap
 * chart, or a table whose data as CSV is left in raw. */
void report_model_block(const model *m, const models *md, const spec_block *sb, int rp,
                        report_keep_fn keep, void *ctx, doc_block *db, strbuf *raw);

#endif
