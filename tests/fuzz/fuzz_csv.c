/*
 * fuzz_csv.c - the CSV tokenizer on arbitrary bytes.
 *
 * Besides not crashing, the records must not depend on how the bytes arrive:
 * the input is tokenized whole through the default buffer, and again in
 * small pieces through a tiny buffer (so that fields straddle refills), and
 * the two results must be identical.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/csv/csv_parse.h"
#include "replay.h"

typedef struct out {
    char *s;
    size_t n, cap;
} out;

static void put(out *o, const void *p, size_t n)
{
    if (o->n + n > o->cap) {
        o->cap = (o->n + n) * 2 + 64;
        o->s = realloc(o->s, o->cap);
        if (!o->s)
            abort();
    }
    memcpy(o->s + o->n, p, n);
    o->n += n;
}

/* Every record and field, with their positions, as bytes to compare. */
static out tokenize(const uint8_t *data, size_t size, size_t chunk, size_t piece)
{
    static const csv_alloc a = {malloc, realloc, free};
    csv_reader *r = csv_new(',', '"', chunk, &a);
    out o = {0};
    size_t off = 0;

    if (!r)
        abort();
    for (;;) {
        csv_record rec;
        int k = csv_next(r, &rec);
        if (k == CSV_RECORD) {
            uint32_t i;
            put(&o, &rec.line, sizeof rec.line);
            put(&o, &rec.nfields, sizeof rec.nfields);
            for (i = 0; i < rec.nfields; i++) {
                const csv_field *f = &rec.fields[i];
                put(&o, &f->len, sizeof f->len);
                put(&o, &f->col, sizeof f->col);
                put(&o, &f->dline, sizeof f->dline);
                put(&o, &f->quoted, sizeof f->quoted);
                put(&o, f->ptr, f->len);
            }
        } else if (k == CSV_MORE) {
            size_t take = piece < size - off ? piece : size - off;
            if (off == size)
                csv_finish(r);
            else if (csv_feed(r, data + off, take) != 0)
                break;
            off += take;
        } else {
            const char *why = k == CSV_ERROR ? csv_error(r) : "end";
            put(&o, why, strlen(why));
            break;
        }
    }
    csv_free(r);
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    out whole = tokenize(data, size, CSV_CHUNK_DEFAULT, size ? size : 1);
    out bits = tokenize(data, size, 64, 1 + (size ? data[0] % 7 : 0));

    if (whole.n != bits.n || memcmp(whole.s, bits.s, whole.n) != 0)
        abort(); /* the records depend on how the bytes arrived */
    free(whole.s);
    free(bits.s);
    return 0;
}

#ifndef QUIRE_LIBFUZZER
int main(int argc, char **argv)
{
    char *def[] = {argv[0], (char *)"tests/fuzz/corpus/csv"};
    return argc > 1 ? replay_main("fuzz_csv", argc, argv) : replay_main("fuzz_csv", 2, def);
}
#endif
