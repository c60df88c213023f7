/*
 * report.h - from computed KPIs to the document the renderer draws, and to
 * the CSV files behind it (--export).
 */
#ifndef QUIRE_REPORT_H
#define QUIRE_REPORT_H

#include "atomic.h"
#include "digest.h"
#include "doc.h"
#include "model.h"
#include "models.h"
#include "rows.h"
#include "source.h"

typedef struct report report;

/* What the document is built from: the products of the earlier stages,
 * borrowed, and outliving the document. */
typedef struct report_inputs {
    const model *m;                 /* segments and KPIs */
    const models *models;           /* the models stage's product, or NULL */
    const row_tables *rows;         /* the rows that row tables print */
    const insight_answers *answers; /* the questions' answers */
    const data_notes *notes;        /* the sources' notes, may be NULL */
    input_digests *digests;         /* the inputs' hashes, for the manifest */
    const source_secrets *secrets;  /* what the manifest must not show, may be NULL */
    long long epoch;                /* SOURCE_DATE_EPOCH, or -1: date the report
                                     * from its period (the day after its last month) */
} report_inputs;

/* Build the document, with the data behind each chart and table and a run
 * manifest as embedded files. Never fails: every input was checked by the
 * stages that made it. */
report *report_build(const report_inputs *in);
const quire_doc *report_doc(const report *r);
void report_free(report *r);

/* Write DIR/kpis.csv (period,segment,kpi,value) and DIR/segments.csv
 * (customer_id,period,segment), and with RFM or clusters in md (may be
 * NULL) DIR/models.csv (customer_id,period,rfm_r,rfm_f,rfm_m,rfm_score,
 * rfm_segment,cluster_id,cluster), each atomically: committed one by one
 * when batch is NULL, else written and held in batch, to be published with
 * the other outputs of the run (atomic_batch_commit). */
int report_export(const model *m, const models *md, const char *dir, atomic_batch *batch,
                  quire_error *err);

#endif
