/*
 * html.h - the document as one self-contained HTML5 file.
 *
 * The same quire_doc the PDF is drawn from, as a page a browser shows and
 * prints: the title block, the contents with links to the sections, every
 * section's blocks (tiles, tables as <table>, charts as inline SVG drawn by
 * chart.c through the SVG canvas, questions with their answers as text),
 * and the list of the data files the PDF carries. The CSS is inline and
 * nothing is fetched: no script, font, image or style sheet from anywhere.
 * Every string of the document is escaped.
 */
#ifndef QUIRE_HTML_H
#define QUIRE_HTML_H

#include "atomic.h"
#include "doc.h"
#include "error.h"
#include "util.h"

/* Append the page to out. Returns 0, or -1 with err set (the fonts to
 * measure the charts' text with could not be loaded). */
int html_render_mem(const quire_doc *doc, strbuf *out, quire_error *err);

/* The page written to path atomically (a temporary file beside it, synced
 * and renamed); with batch, written, synced and held in batch rather than
 * renamed. Returns 0, or -1 with err set; nothing is left at path. */
int html_render_batch(const quire_doc *doc, const char *path, atomic_batch *batch,
                      quire_error *err);

#endif
