/*
 * canvas_pdf.h - the canvas on a libharu page: each operation is the page
 * operator of the same name, text goes through text.h (fonts by script,
 * fitting, the preflight's off-page count).
 */
#ifndef QUIRE_CANVAS_PDF_H
#define QUIRE_CANVAS_PDF_H

#include <hpdf.h>

#include "canvas.h"
#include "text.h"

typedef struct canvas_pdf {
    canvas base;
    HPDF_Page page;   /* may be NULL while only measuring */
    pdf_fonts *fonts; /* borrowed */
} canvas_pdf;

/* Set up cv (caller-owned, nothing to free) to draw on page with fonts.
 * The page may be changed between drawings by assigning cv->page. */
void canvas_pdf_init(canvas_pdf *cv, pdf_fonts *fonts, HPDF_Page page);

#endif
