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
/*
 * What a render starts with whatever the document holds, made beforehand on
 * a thread of its own while the data is read: libharu's document with the
 * theme's two faces (font and bold_font; NULL: DejaVu Sans). Making their
 * Type0 fonts takes libharu 65,536 cmap lookups a face, about 15 ms, a
 * third of a small report's render. NULL when no thread can be started.
 */
typedef struct pdf_prep pdf_prep;
pdf_prep *pdf_prep_start(const char *font, const char *bold_font);
/* Wait for it and free what no render took over. Accepts NULL. */
void pdf_prep_free(pdf_prep *p);

/* The same as pdf_render(), with the PDF written and held in batch rather
 * than published (a run publishes its PDF and its exports together), and
 * the prepared start taken over when it holds the document's faces (prep
 * may be NULL; a preparation that failed is made again, and its error
 * reported, here). */
int pdf_render_batch(const quire_doc *doc, const char *path, atomic_batch *batch,
                     pdf_prep *prep, quire_error *err);

/* The name of a libharu 2.3.0 error code ("HPDF_PAGE_INVALID_GMODE" for
 * 0x1051), or NULL for a code it does not define. */
const char *pdf_error_name(unsigned code);

#endif
