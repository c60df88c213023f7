/*
 * report.h - from computed KPIs to the document the renderer draws, and to
 * the CSV files behind it (--export).
 */
#ifndef QUIRE_REPORT_H
#define QUIRE_REPORT_H

#include "digest.h"
#include "doc.h"
#include "model.h"
#include "plugins.h"

typedef struct report report;

/* Build the document, with the data behind each chart and table and a run
 * manifest as embedded files. epoch: SOURCE_DATE_EPOCH, or -1 to date the
 * report from its period (the day after the last month). Tables of a
 * source's rows read the source through reg. Returns NULL with err set. */
report *report_build(model *m, long long epoch, plugin_registry *reg, input_digests *dg,
                     quire_error *err);
const quire_doc *report_doc(const report *r);
void report_free(report *r);

/* Write DIR/kpis.csv (period,segment,kpi,value) and DIR/segments.csv
 * (customer_id,period,segment), each atomically. */
int report_export(const model *m, const char *dir, quire_error *err);

#endif
