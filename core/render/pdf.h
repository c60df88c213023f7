/* pdf.h - the document laid out into pages and written as a PDF. */
#ifndef QUIRE_PDF_H
#define QUIRE_PDF_H

#include "atomic.h"
#include "doc.h"
#include "error.h"

/*
 * Render doc to a PDF at path. Before the file is written, a preflight
 * checks that every character drawn has a glyph in the loaded fonts (and
 * needs no shaping) and that no text runs off the page: each problem is a
 * warning on the log, or an error (nothing written) when doc->strict. The file is written atomically: a temporary
 * file beside path is written, synced and renamed, so path never holds a
 * partial PDF. Returns 0, or -1 with err set.
 */
int pdf_render(const quire_doc *doc, const char *path, quire_error *err);
/* The same, with the PDF written and held in batch rather than published
 * (a run publishes its PDF and its exports together). */
int pdf_render_batch(const quire_doc *doc, const char *path, atomic_batch *batch,
                     quire_error *err);

/* The name of a libharu 2.3.0 error code ("HPDF_PAGE_INVALID_GMODE" for
 * 0x1051), or NULL for a code it does not define. */
const char *pdf_error_name(unsigned code);

#endif
