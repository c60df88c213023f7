/*
 * attach.h - files embedded in a PDF (the data behind charts and tables,
 * the run manifest), listed in the document's EmbeddedFiles name tree.
 */
#ifndef QUIRE_ATTACH_H
#define QUIRE_ATTACH_H

#include <hpdf.h>

#include "doc.h"

/*
 * Embed f in pdf from memory, compressed; files must be added in ascending
 * order of their names, which keeps the EmbeddedFiles name tree sorted. libharu 2.3.0's HPDF_AttachFile()
 * reads a file at save time and names the attachment after its path, so
 * this builds the same objects from its lower-level calls: a Filespec
 * (/F, /UF, /Desc) whose /EF holds an EmbeddedFile stream (/Subtype, /Params
 * /Size). Returns 0, or -1 with the error left in the document.
 */
int pdf_attach(HPDF_Doc pdf, const doc_file *f);

#endif
