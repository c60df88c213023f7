/*
 * csv_parse.h - a streaming RFC 4180 tokenizer, independent of Quire.
 *
 * The reader owns one buffer, reused for the whole input: bytes go in
 * (csv_fill_fd() reads a chunk with read(2); csv_feed() copies bytes the
 * caller has), records come out (csv_next()). Records are never copied: a
 * record's fields point into the buffer, quoted fields unescaped in place.
 *
 * The rules are those of Python's csv module, "excel" dialect, non-strict:
 *   - fields are separated by the delimiter; a field that starts with the
 *     quote character is quoted: a doubled quote inside is one quote, and
 *     delimiters and line ends inside are data (kept verbatim, CRLF included);
 *   - after the closing quote, anything up to the next delimiter or line end
 *     is appended literally ("a"b -> ab, "a" "b" -> a "b");
 *   - a quote inside an unquoted field is data (a"b -> a"b);
 *   - CRLF, LF and a bare CR end a record; empty lines are skipped;
 *   - a UTF-8 byte order mark at the very start is skipped;
 *   - a quote still open at the end of the input ends the field there, and
 *     the record says so (csv_record.open_quote) so the caller can warn;
 *   - NUL bytes are data; csv_saw_nul() says whether the input held one, so a
 *     caller that refuses them looks at fields only when it did.
 *
 * Ownership: a record and its fields are borrowed from the reader. They stay
 * valid until the next call to csv_next() that returns CSV_MORE was followed
 * by csv_space(), csv_feed() or csv_fill_fd() (which may move the buffer),
 * or until csv_reset() or csv_free(). In other words: records returned since
 * the last refill all stay valid together until the next refill.
 */
#ifndef QUIRE_CSV_PARSE_H
#define QUIRE_CSV_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* One field of a record. Not NUL-terminated: use len. */
typedef struct csv_field {
    const char *ptr;
    uint32_t len;
    uint32_t col;   /* 1-based byte column of its first byte (the opening quote
                     * when quoted) on its own physical line */
    uint32_t dline; /* lines between the record's first line and the field's */
    uint8_t quoted; /* the field was quoted: "" is an empty string, not nothing */
} csv_field;

typedef struct csv_record {
    const csv_field *fields;
    uint32_t nfields;
    uint8_t open_quote; /* the last field's quote was never closed */
    uint64_t line;      /* 1-based physical line of the record's first byte */
    uint64_t index;     /* 1-based record number, every record counted */
} csv_record;

/* Memory functions; NULL (or a NULL member) means the C library's. */
typedef struct csv_alloc {
    void *(*alloc)(size_t n);
    void *(*realloc)(void *p, size_t n);
    void (*free)(void *p);
} csv_alloc;

typedef struct csv_reader csv_reader;

/* What csv_next() returns. */
enum {
    CSV_ERROR = -1, /* csv_error() says why; the reader is unusable until reset */
    CSV_END = 0,    /* the input is finished and every record was returned */
    CSV_RECORD = 1, /* *rec holds the next record */
    CSV_MORE = 2    /* the next record is not complete: add bytes, then call again */
};

#define CSV_CHUNK_DEFAULT ((size_t)256 * 1024)
/* The buffer never grows past this: a longer record is an error. */
#define CSV_MAX_RECORD ((size_t)1 << 30)
#define CSV_MAX_FIELDS ((uint32_t)1 << 20)

/*
 * A reader splitting on delim, quoting with quote (they must differ, and be
 * neither CR nor LF). chunk: the initial buffer size, 0 for the default.
 * Returns NULL when out of memory or when the bytes are unusable.
 */
csv_reader *csv_new(char delim, char quote, size_t chunk, const csv_alloc *a);
/* Release the reader and its buffer. Accepts NULL. */
void csv_free(csv_reader *r);
/* Forget the input (and any error) to read a new one from its start; the
 * buffer is kept. */
void csv_reset(csv_reader *r);

/* The next record: CSV_RECORD, CSV_MORE, CSV_END or CSV_ERROR. */
int csv_next(csv_reader *r, csv_record *rec);

/*
 * Room for more input: returns where the next bytes go and stores in *n how
 * many fit (at least one). Moves the unfinished record to the buffer's start,
 * growing the buffer when the record fills it. NULL on error (csv_error()).
 */
char *csv_space(csv_reader *r, size_t *n);
/* n bytes were written where csv_space() said. */
void csv_commit(csv_reader *r, size_t n);
/* The input is finished: the last record may end without a line end. */
void csv_finish(csv_reader *r);

/* Copy n bytes in (through csv_space/csv_commit). 0, or -1 on error. */
int csv_feed(csv_reader *r, const void *data, size_t n);
/* Fill the free part of the buffer from fd with read(2), calling
 * csv_finish() at end of file. Returns 1 when bytes were added, 0 at end of
 * file, -1 on error (csv_error() and errno say why). */
int csv_fill_fd(csv_reader *r, int fd);

/* Whether a byte added since the last reset was NUL. */
int csv_saw_nul(const csv_reader *r);

/* The last error, as text ("" when there is none). */
const char *csv_error(const csv_reader *r);

#endif
