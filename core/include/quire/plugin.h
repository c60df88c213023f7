/*
 * quire/plugin.h - the whole contract between Quire and a data-source plugin.
 *
 * A plugin is a shared object that exports one symbol, QUIRE_PLUGIN_ENTRY,
 * returning a pointer to a static quire_plugin descriptor. It includes nothing
 * of the core but this header and links against nothing of it: everything it
 * needs from the host arrives in the quire_host table passed to open().
 *
 * Compatibility rules (modelled on SQLite extensions and Redis modules):
 *   - Every struct here starts with abi_version and/or struct_size, and fields
 *     are only ever appended. A reader treats fields past struct_size as absent.
 *   - QUIRE_PLUGIN_ABI_MAJOR changes only when a change breaks old plugins; the
 *     host refuses a plugin whose major version differs from its own.
 *
 * Ownership: everything the host passes in is borrowed for the duration of the
 * call (options, columns, batches). Everything the plugin emits in a batch is
 * borrowed by the host until emit() returns; the host copies what it keeps.
 */
#ifndef QUIRE_PLUGIN_H
#define QUIRE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QUIRE_PLUGIN_ABI_MAJOR 1
#define QUIRE_PLUGIN_ABI_MINOR 1
#define QUIRE_PLUGIN_ABI_VERSION \
    ((uint32_t)(QUIRE_PLUGIN_ABI_MAJOR << 16 | QUIRE_PLUGIN_ABI_MINOR))
#define QUIRE_ABI_MAJOR_OF(v) ((uint32_t)(v) >> 16)

/* The one exported symbol of a plugin. */
#define QUIRE_PLUGIN_ENTRY_NAME "quire_plugin_entry"
#if defined(__GNUC__)
#define QUIRE_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define QUIRE_PLUGIN_EXPORT
#endif

/* ---------------------------------------------------------------- values */

/* Column types. Dates are days since 1970-01-01 (proleptic Gregorian). */
typedef enum quire_type {
    QUIRE_T_STRING = 0,
    QUIRE_T_INTEGER = 1,
    QUIRE_T_NUMBER = 2,
    QUIRE_T_DATE = 3,
    QUIRE_T_BOOLEAN = 4
} quire_type;

/* One cell of a batch. Strings are not NUL-terminated: use s.len. */
typedef struct quire_cell {
    union {
        int64_t i;   /* INTEGER, BOOLEAN (0/1), DATE (days since epoch) */
        double n;    /* NUMBER */
        struct {
            const char *ptr;
            uint32_t len;
        } s;         /* STRING */
    } v;
    uint8_t null;    /* 1 when the field was empty or absent */
} quire_cell;

/* A column the host asks for (projection) or the plugin produces. */
typedef struct quire_column {
    const char *name;
    quire_type type;
    const char *format; /* DATE only: strptime-like format, NULL = ISO 8601 */
} quire_column;

/*
 * A batch of rows, column-major: cols[c][r] is the cell of column c in row r.
 * The column list is the projection the host asked for, in its order, or, when
 * the host asked for every column, the source's own columns.
 * first_record locates row 0 for messages: in a line-based source the 1-based
 * line where its record starts, otherwise its 1-based record number.
 * record_no, when not NULL, locates each row the same way (sources whose
 * records span several lines, or that skip records, fill it).
 */
typedef struct quire_batch {
    uint32_t struct_size;
    uint32_t nrows;
    uint32_t ncols;
    const quire_column *columns;
    quire_cell *const *cols;
    uint64_t first_record;
    const uint64_t *record_no;
} quire_batch;

/* ---------------------------------------------------------------- options */

typedef enum quire_opt_type {
    QUIRE_OPT_STRING = 0,
    QUIRE_OPT_INTEGER = 1,
    QUIRE_OPT_BOOLEAN = 2,
    QUIRE_OPT_PATH = 3,  /* the host resolves it against the spec's folder */
    QUIRE_OPT_CHAR = 4   /* a single character, e.g. a delimiter */
} quire_opt_type;

/* A plugin declares its options as data; the core validates the YAML against it. */
typedef struct quire_option_def {
    const char *name;
    quire_opt_type type;
    int required;
    const char *default_value; /* NULL: no default */
    const char *help;
} quire_option_def;

/* A source's configuration, validated by the host against the option table. */
typedef struct quire_source_config {
    uint32_t struct_size;
    const char *source_name;     /* the source's name in the spec */
    const char *spec_path;       /* the spec file, for messages */
    /* Option values as strings, in the order of the plugin's option table;
     * NULL where neither the spec nor a default gives one. Booleans are
     * "true"/"false"; paths are absolute or relative to the working folder. */
    const char *const *option_values;
    /* Columns the spec declares (with types), in the spec's order. */
    const quire_column *declared;
    uint32_t ndeclared;
} quire_source_config;

/* What the host wants from a scan. */
typedef struct quire_scan_request {
    uint32_t struct_size;
    /* The columns to produce, in this order. NULL: every column of the source
     * (declared ones typed, the others strings). */
    const quire_column *projection;
    uint32_t nprojection;
    /* Stop after this many records (0: no limit). */
    uint64_t max_records;
} quire_scan_request;

/* ---------------------------------------------------------------- host */

enum { QUIRE_LOG_ERROR = 0, QUIRE_LOG_WARN = 1, QUIRE_LOG_INFO = 2, QUIRE_LOG_DEBUG = 3 };

/* Functions the host lends the plugin. hctx is the host's opaque context. */
typedef struct quire_host {
    uint32_t abi_version;
    uint32_t struct_size;
    void *(*alloc)(size_t n);
    void *(*realloc)(void *p, size_t n);
    void (*free)(void *p);
    void (*log)(void *hctx, int level, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 3, 4)))
#endif
        ;
    /* Hand a batch to the host. Returns 0 to go on, non-zero to stop the scan
     * (the host has recorded why); the plugin then returns that value. */
    int (*emit)(void *hctx, const quire_batch *batch);
    /* Record an error. The message should name where: "path:line:col: ...".
     * The plugin then returns non-zero from the call that failed. */
    void (*error)(void *hctx, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 2, 3)))
#endif
        ;
    /* ABI 1.1: add a note about the data to the report, shown in the PDF
     * ("customers: the CRM did not answer; cached table from 3 hours ago").
     * Check struct_size before calling: a 1.0 host does not have it. */
    void (*note)(void *hctx, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 2, 3)))
#endif
        ;
} quire_host;

/* Whether the host provides field f (fields are only ever appended). */
#define QUIRE_HOST_HAS(host, f) \
    ((host)->struct_size >= offsetof(quire_host, f) + sizeof((host)->f))

/* ---------------------------------------------------------------- plugin */

enum {
    QUIRE_CAP_STREAM = 1u << 0,     /* streams rows (every plugin) */
    QUIRE_CAP_PROJECTION = 1u << 1, /* produces only the requested columns */
    QUIRE_CAP_AGGREGATE = 1u << 2   /* can take an aggregate query (pushdown) */
};

typedef struct quire_plugin {
    uint32_t abi_version; /* QUIRE_PLUGIN_ABI_VERSION the plugin was built with */
    uint32_t struct_size; /* sizeof(quire_plugin) the plugin was built with */
    const char *name;     /* as used in specs: "csv" */
    const char *version;
    const char *summary;  /* one line for `quire plugins` */
    uint32_t caps;
    const quire_option_def *options; /* terminated by an entry with name NULL */

    /* Open a source. On success store the plugin's state in *state, return 0.
     * On failure call host->error and return non-zero. */
    int (*open)(const quire_host *host, void *hctx,
                const quire_source_config *cfg, void **state);
    /* Stream the rows, in batches, through host->emit. May be called more
     * than once on one state; each call starts from the first record. */
    int (*scan)(void *state, const quire_scan_request *req);
    /* Release the state. Accepts NULL. */
    void (*close)(void *state);
} quire_plugin;

typedef const quire_plugin *(*quire_plugin_entry_fn)(void);

/* ---------------------------------------------------------------- dates
 *
 * QUIRE_T_DATE values are days since 1970-01-01 in the proleptic Gregorian
 * calendar. These helpers convert between them and calendar dates. They are
 * static inline, so a plugin has them from this header alone, and the host
 * uses the very same ones: there is one date arithmetic in Quire. Months run
 * 1..12; years may be negative.
 */

static inline int quire_is_leap_year(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days in month m of year y; 0 when m is not 1..12. */
static inline int quire_days_in_month(int64_t y, int m)
{
    static const unsigned char dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (m < 1 || m > 12)
        return 0;
    return m == 2 && quire_is_leap_year(y) ? 29 : dm[m - 1];
}

/* 1 when y-m-d is a day of the calendar. */
static inline int quire_valid_date(int64_t y, int m, int d)
{
    return d >= 1 && d <= quire_days_in_month(y, m);
}

/* Days since 1970-01-01 of y-m-d (H. Hinnant's days_from_civil: exact for
 * every year, no tables, no time zone). Past the end of a month (or before
 * its first day) it counts on into the next (back into the previous). */
static inline int64_t quire_days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The calendar date of day z, the inverse of quire_days_from_civil(). */
static inline void quire_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* Strict ISO 8601 calendar date: s[0..n) is exactly "YYYY-MM-DD" and a day of
 * the calendar (year 0000 to 9999). Stores its day number in *days and
 * returns 0, else returns -1. */
static inline int quire_parse_iso_date(const char *s, size_t n, int64_t *days)
{
    static const unsigned char at[8] = {0, 1, 2, 3, 5, 6, 8, 9};
    int v[8], i, y, m, d;

    if (n != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (i = 0; i < 8; i++) {
        if (s[at[i]] < '0' || s[at[i]] > '9')
            return -1;
        v[i] = s[at[i]] - '0';
    }
    y = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3];
    m = v[4] * 10 + v[5];
    d = v[6] * 10 + v[7];
    if (!quire_valid_date(y, m, d))
        return -1;
    *days = quire_days_from_civil(y, m, d);
    return 0;
}

#ifdef __cplusplus
}
#endif
#endif /* QUIRE_PLUGIN_H */
