/* attach.c - embedded files from memory with libharu 2.3.0. */
#include "attach.h"

#include <stdio.h>
#include <string.h>

#include <hpdf_namedict.h>

/* The MIME type as a PDF name: "/" is written #2F by the name writer. */
static int add_subtype(HPDF_Dict d, const char *mime)
{
    return HPDF_Dict_AddName(d, "Subtype", mime) != HPDF_OK;
}

int pdf_attach(HPDF_Doc pdf, const doc_file *f)
{
    HPDF_NameDict names;
    HPDF_NameTree tree;
    HPDF_Dict spec, ef, stream, params;
    HPDF_String key;
    HPDF_Array arr;
    int bad = 0;

    names = HPDF_Catalog_GetNames(pdf->catalog);
    if (!names) {
        names = HPDF_NameDict_New(pdf->mmgr, pdf->xref);
        if (!names || HPDF_Catalog_SetNames(pdf->catalog, names) != HPDF_OK)
            return -1;
    }
    tree = HPDF_NameDict_GetNameTree(names, HPDF_NAME_EMBEDDED_FILES);
    if (!tree) {
        tree = HPDF_NameTree_New(pdf->mmgr, pdf->xref);
        if (!tree || HPDF_NameDict_SetNameTree(names, HPDF_NAME_EMBEDDED_FILES, tree) != HPDF_OK)
            return -1;
    }

    stream = HPDF_DictStream_New(pdf->mmgr, pdf->xref);
    if (!stream)
        return -1;
    stream->filter = HPDF_STREAM_FILTER_FLATE_DECODE;
    bad |= HPDF_Dict_AddName(stream, "Type", "EmbeddedFile") != HPDF_OK;
    if (f->mime)
        bad |= add_subtype(stream, f->mime);
    params = HPDF_Dict_New(pdf->mmgr);
    if (!params)
        return -1;
    bad |= HPDF_Dict_AddNumber(params, "Size", (HPDF_INT32)f->len) != HPDF_OK;
    bad |= HPDF_Dict_Add(stream, "Params", params) != HPDF_OK;
    if (f->len)
        bad |= HPDF_Stream_Write(stream->stream, (const HPDF_BYTE *)f->data,
                                 (HPDF_UINT)f->len) != HPDF_OK;

    spec = HPDF_Dict_New(pdf->mmgr);
    if (!spec || HPDF_Xref_Add(pdf->xref, spec) != HPDF_OK)
        return -1;
    ef = HPDF_Dict_New(pdf->mmgr);
    if (!ef)
        return -1;
    bad |= HPDF_Dict_AddName(spec, "Type", "Filespec") != HPDF_OK;
    bad |= HPDF_Dict_Add(spec, "F", HPDF_String_New(pdf->mmgr, f->name, NULL)) != HPDF_OK;
    bad |= HPDF_Dict_Add(spec, "UF", HPDF_String_New(pdf->mmgr, f->name, NULL)) != HPDF_OK;
    if (f->desc)
        bad |= HPDF_Dict_Add(spec, "Desc", HPDF_String_New(pdf->mmgr, f->desc, NULL)) != HPDF_OK;
    bad |= HPDF_Dict_Add(ef, "F", stream) != HPDF_OK;
    bad |= HPDF_Dict_Add(spec, "EF", ef) != HPDF_OK;
    key = HPDF_String_New(pdf->mmgr, f->name, NULL);
    if (bad || !key)
        return -1;
    /* HPDF_NameTree_Add() compares the new key with every entry of the
     * Names array, values included, and crashes on the first value; the
     * caller adds files in name order, so appending keeps the tree sorted. */
    arr = HPDF_Dict_GetItem(tree, "Names", HPDF_OCLASS_ARRAY);
    if (!arr) {
        arr = HPDF_Array_New(pdf->mmgr);
        if (!arr || HPDF_Dict_Add(tree, "Names", arr) != HPDF_OK)
            return -1;
    }
    if (HPDF_Array_Add(arr, key) != HPDF_OK || HPDF_Array_Add(arr, spec) != HPDF_OK)
        return -1;
    return 0;
}
