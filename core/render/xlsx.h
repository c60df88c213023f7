/*
 * xlsx.h - the document's numbers as an Excel workbook (libxlsxwriter).
 *
 * Sheets: "Summary" first (the title, subtitle, period and every KPI
 * tile: label, value, previous value, caption), then one per table and
 * one per chart's data, named after their titles (unique, at most 31
 * characters, none of []:*?/\). Numbers are written as numbers with a
 * number format from their unit (currency, percent, count, decimals as
 * the report shows them); headers are bold and the header row frozen.
 */
#ifndef QUIRE_XLSX_H
#define QUIRE_XLSX_H

#include <stddef.h>

#include "atomic.h"
#include "doc.h"
#include "error.h"

/* The workbook written to path atomically (built in a temporary file,
 * then written beside path, synced and renamed); with batch, held in
 * batch rather than renamed. Returns 0, or -1 with err set; nothing is
 * left at path. */
int xlsx_render_batch(const quire_doc *doc, const char *path, atomic_batch *batch,
                      quire_error *err);

/* The workbook in memory (*data malloc'd, *len bytes). Returns 0, or -1
 * with err set. */
int xlsx_render_mem(const quire_doc *doc, unsigned char **data, size_t *len, quire_error *err);

/* name made a valid sheet name into out (n >= 128): the characters
 * []:*?/\ and controls replaced by spaces, cut to 31 characters (at a word
 * boundary when one is near), surrounding spaces and apostrophes trimmed;
 * "Sheet" when nothing is left. */
void xlsx_sheet_name(char *out, size_t n, const char *name);

#endif
