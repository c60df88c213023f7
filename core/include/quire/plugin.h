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
 *   - Structs that travel in arrays (quire_option_def, quire_column,
 *     quire_option_value) are walked by a stride, the element size the writer
 *     declared (quire_plugin.option_size and column_size, quire_source_config.
 *     value_size), so that they too can grow. quire_cell never grows: a new
 *     kind of value would be a new column type.
 *   - QUIRE_PLUGIN_ABI_MAJOR changes only when a change breaks old plugins; the
 *     host refuses a plugin whose major version differs from its own.
 *
 * Ownership: everything the host passes in is borrowed for the duration of the
 * call (options, columns, batches). Everything the plugin emits in a batch is
 * borrowed by the host until emit() returns; the host copies what it keeps.
 *
 * Threads: see "Threads" below the host table.
 *
 * History:
 *   1.0  the descriptor, options as data, open/scan/close, batches.
 *   1.1  host->note.
 *   1.2  option_size and column_size (strides); ENUM and NUMBER options with
 *        typed values (cfg->values); the SECRET option flag; host->error_at,
 *        a typed error (config, data, I/O, transient) with its place; load()
 *        and unload() hooks; the threading contract written down; the host
 *        checks every batch. (The calendar helpers at the end of this file
 *        are static inline: they change nothing in the binary contract.)
 *   1.3  aggregate pushdown: the aggregate() method and quire_aggregate_request
 *        (the fact query: entity key, month bucket, measures, period range);
 *        QUIRE_CAP_AGGREGATE now means the descriptor has aggregate(); the
 *        QUIRE_OPTF_CODE option flag. host->origin: a source that is not a
 *        file says what it reads (a URL), and the run manifest records its
 *        records' hash.
 */
#ifndef QUIRE_PLUGIN_H
#define QUIRE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QUIRE_PLUGIN_ABI_MAJOR 1
#define QUIRE_PLUGIN_ABI_MINOR 3
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
 *
 * The host checks every batch before it reads a cell (ABI 1.2 hosts): at most
 * QUIRE_BATCH_MAX_ROWS rows and, in all, no more than the scan's max_records;
 * with a projection exactly its columns (names and types, in its order); known
 * types; a non-NULL pointer for every string cell that is not null and has a
 * length, lengths up to QUIRE_CELL_MAX_STRING; booleans 0 or 1; dates within
 * int32. A batch that breaks a rule stops the scan with a data error naming
 * the plugin and the source; emit() then returns non-zero.
 */
#define QUIRE_BATCH_MAX_ROWS ((uint32_t)1 << 20)
#define QUIRE_CELL_MAX_STRING ((uint32_t)1 << 30)

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
    QUIRE_OPT_CHAR = 4,  /* a single character, e.g. a delimiter */
    QUIRE_OPT_ENUM = 5,  /* ABI 1.2: one of the option's choices */
    QUIRE_OPT_NUMBER = 6 /* ABI 1.2: a finite decimal number, e.g. 2.5 */
} quire_opt_type;

/* Option flags (quire_option_def.flags, ABI 1.2). */
enum {
    /* A password, a key, a token: the host never logs or prints the value,
     * masks it in messages (the plugin's too) and in the run manifest, and
     * `quire plugins` shows the option as secret without its default. */
    QUIRE_OPTF_SECRET = 1u << 0,
    /* (ABI 1.3) Code the plugin runs, such as a SQL query: the spec may not
     * write a report parameter (${name}) into it, since its value would
     * become code; the plugin binds values some other way. An older host
     * ignores the flag. */
    QUIRE_OPTF_CODE = 1u << 1
};

/*
 * A plugin declares its options as data; the core validates the YAML against
 * it. The table is an array walked with the stride quire_plugin.option_size
 * and ends with an entry whose name is NULL.
 */
typedef struct quire_option_def {
    const char *name;
    quire_opt_type type;
    int required;
    const char *default_value; /* NULL: no default */
    const char *help;
    /* ABI 1.2 */
    uint32_t flags;              /* QUIRE_OPTF_* */
    const char *const *choices;  /* ENUM: the allowed values, NULL-terminated */
} quire_option_def;

/*
 * An option's value, typed (ABI 1.2): cfg->values[i] for the option at
 * position i of the table, walked with the stride cfg->value_size (use
 * quire_option_at()). The host has checked the value against the option's
 * type, and its choices for an ENUM.
 */
typedef struct quire_option_value {
    const char *text; /* the value as text, as in option_values; NULL: none */
    int64_t i;        /* INTEGER; BOOLEAN 0/1; CHAR the byte; ENUM the index in choices */
    double n;         /* NUMBER; INTEGER too, as a double */
    uint32_t set;     /* 1 when the spec or a default gave a value, else 0 */
    uint32_t reserved; /* 0; keeps the struct free of tail padding */
} quire_option_value;

/* A source's configuration, validated by the host against the option table. */
typedef struct quire_source_config {
    uint32_t struct_size;
    const char *source_name;     /* the source's name in the spec */
    const char *spec_path;       /* the spec file, for messages */
    /* Option values as strings, in the order of the plugin's option table;
     * NULL where neither the spec nor a default gives one. Booleans are
     * "true"/"false"; paths are absolute or relative to the working folder. */
    const char *const *option_values;
    /* Columns the spec declares (with types), in the spec's order. Laid out
     * with the plugin's column_size. */
    const quire_column *declared;
    uint32_t ndeclared;
    /* ABI 1.2: the same values, typed; value_size is the stride of values,
     * noptions the number of entries (the table's length). (values comes
     * first: the 1.1 struct ends in 4 bytes of padding, which must not be
     * mistaken for a field.) */
    const quire_option_value *values;
    uint32_t value_size;
    uint32_t noptions;
} quire_source_config;

/* What the host wants from a scan. */
typedef struct quire_scan_request {
    uint32_t struct_size;
    /* The columns to produce, in this order. NULL: every column of the source
     * (declared ones typed, the others strings). Laid out with the plugin's
     * column_size. */
    const quire_column *projection;
    uint32_t nprojection;
    /* Stop after this many records (0: no limit). */
    uint64_t max_records;
} quire_scan_request;

/* ---------------------------------------------------------------- aggregates (ABI 1.3)
 *
 * Aggregate pushdown. For a source that feeds the facts step, a host asks a
 * plugin with QUIRE_CAP_AGGREGATE and an aggregate() method for the fact
 * query itself, rather than for rows: per entity key and month, the measures
 * below, over the rows whose date lies in [from_day, to_day). A database
 * runs it as one GROUP BY and sends one row per entity and month.
 */

/* What a measure computes. */
typedef enum quire_agg_op {
    QUIRE_AGG_COUNT = 0, /* rows (column NULL), or rows where column is not null
                          * (and, with cmp, where column cmp value holds) */
    QUIRE_AGG_SUM = 1,   /* the sum of column over rows where it is not null */
    QUIRE_AGG_MIN = 2,   /* the least value of column */
    QUIRE_AGG_MAX = 3    /* the greatest value of column */
} quire_agg_op;

/* The condition of a COUNT: column OP value, compared as doubles (an
 * integer column's values converted to double first). */
typedef enum quire_cmp_op {
    QUIRE_CMP_NONE = 0,
    QUIRE_CMP_LT = 1,
    QUIRE_CMP_LE = 2,
    QUIRE_CMP_GT = 3,
    QUIRE_CMP_GE = 4,
    QUIRE_CMP_EQ = 5,
    QUIRE_CMP_NE = 6
} quire_cmp_op;

/* One measure of the fact query; an array walked with the stride
 * quire_aggregate_request.measure_size. */
typedef struct quire_agg_measure {
    const char *name;   /* the measure's name: its result column's name */
    const char *column; /* the source column it folds; NULL: COUNT of rows */
    uint32_t op;        /* quire_agg_op */
    uint32_t cmp;       /* COUNT with a column: quire_cmp_op */
    double value;       /* the right side of cmp */
} quire_agg_measure;

/* The month, the one grain today: a bucket is the month's first day. */
enum { QUIRE_GRAIN_MONTH = 1 };

/*
 * The fact query. The plugin answers it through host->emit with batches whose
 * columns are exactly `result` (names and types, in order; checked as a
 * projection is):
 *   result[0]  the key column (the key's name, the type the host wants)
 *   result[1]  the bucket: a DATE, the first day of the month (the date
 *              column's name)
 *   result[2 + i]  measure i: COUNT an INTEGER; SUM, MIN and MAX the type of
 *              their column (INTEGER, NUMBER; MIN and MAX also DATE)
 * Rows whose key or date is null, and rows whose date is outside
 * [from_day, to_day), are left out. A null measure cell means "no value" (a
 * SUM, MIN or MAX over no non-null value). The host merges what it receives:
 * counts and sums add up, minima and maxima combine, so a plugin may send
 * several partial rows for one key and month (per shard, say), though one row
 * each is what pushdown is for. A SUM should be exact where the engine can
 * make it so (an integer sum must be).
 */
typedef struct quire_aggregate_request {
    uint32_t struct_size;
    uint32_t measure_size;       /* the stride of measures */
    const quire_column *key;     /* the entity key column (name, type) */
    const quire_column *date;    /* the date column, as the spec declares it */
    uint32_t grain;              /* QUIRE_GRAIN_MONTH */
    uint32_t nmeasures;
    int64_t from_day, to_day;    /* days since 1970-01-01: from_day <= date < to_day */
    const quire_agg_measure *measures;
    const quire_column *result;  /* 2 + nmeasures columns, laid out with the
                                  * plugin's column_size */
    uint32_t nresult;
} quire_aggregate_request;

/* aggregate() returns this, having emitted nothing and recorded no error,
 * to have the host read the rows instead (a query it cannot run exactly). */
#define QUIRE_AGGREGATE_DECLINED 0x4445434c /* "DECL" */

/* ---------------------------------------------------------------- host */

enum { QUIRE_LOG_ERROR = 0, QUIRE_LOG_WARN = 1, QUIRE_LOG_INFO = 2, QUIRE_LOG_DEBUG = 3 };

/* What kind of error (ABI 1.2), and what Quire does with it. */
typedef enum quire_error_kind {
    /* The source's configuration is wrong (an option, a declared column, a
     * credential's variable): a spec error, at the option's place in the
     * spec when error_at names it; `quire` exits with status 1. */
    QUIRE_ERROR_CONFIG = 1,
    /* The data is wrong: a value that does not parse, a malformed response;
     * exit status 2. */
    QUIRE_ERROR_DATA = 2,
    /* Reading failed and will fail again: a file that cannot be opened, a
     * refused credential, a TLS failure; exit status 2. */
    QUIRE_ERROR_IO = 3,
    /* Reading failed but may work later: a timeout, a server that is down or
     * busy after the plugin's own retries; exit status 4, so that whoever
     * runs quire can run it again later. */
    QUIRE_ERROR_TRANSIENT = 4
} quire_error_kind;

/* Where an error is and what kind it is (ABI 1.2), for host->error_at. Fill
 * what applies, zero the rest; set struct_size to sizeof(quire_error_info). */
typedef struct quire_error_info {
    uint32_t struct_size;
    uint32_t kind;        /* quire_error_kind */
    const char *option;   /* CONFIG: the option at fault, by its name; NULL:
                           * the source as a whole */
    const char *file;     /* the file (or URL) at fault, NULL: none */
    uint64_t line;        /* 1-based line in file, 0: not known */
    uint32_t col;         /* 1-based byte column in that line, 0: not known */
    uint64_t record;      /* 1-based record number, 0: not known (used when
                           * there is no line) */
} quire_error_info;

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
    /* Record an error. The message should start with where: "path:line:col:
     * ..." (a data error), or the spec's path in open() ("spec: source \"x\":
     * ...", a spec error at the source). The plugin then returns non-zero
     * from the call that failed. An ABI 1.2 host also has error_at(), below,
     * which takes the kind and the where as fields. */
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
    /* ABI 1.2: record an error with its kind and place. The message says
     * what went wrong, without the place ("\"12,5x\" is not a number (column
     * \"amount\")"); the host writes the place in front. Use it instead of
     * error() when QUIRE_HOST_HAS(host, error_at); the plugin then returns
     * non-zero from the call that failed. */
    void (*error_at)(void *hctx, const quire_error_info *where, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 3, 4)))
#endif
        ;
    /* ABI 1.3: say, in open(), where the source's records come from when
     * that is not a file named by a PATH option: a URL ("https://crm.example.com
     * /v3/contacts?archived=false", "postgresql://db.example.com/sales"),
     * without credentials (leave out or mask as *** a key in the query, a
     * password in the authority). The run manifest then names the source by
     * it, with the SHA-256 of the records each scan delivers (in the canonical
     * form of docs/plugins/writing-a-plugin.md), instead of hashing the
     * files its PATH options name. Check QUIRE_HOST_HAS(host, origin). */
    void (*origin)(void *hctx, const char *url);
} quire_host;

/* Whether the host provides field f (fields are only ever appended). */
#define QUIRE_HOST_HAS(host, f) \
    ((host)->struct_size >= offsetof(quire_host, f) + sizeof((host)->f))

/* Whether the struct at p, of the size it declares, holds field f of type T. */
#define QUIRE_HAS_FIELD(p, T, f) \
    ((p)->struct_size >= offsetof(T, f) + sizeof(((const T *)0)->f))

/* Element i of an array of elements stride bytes apart. */
#define QUIRE_AT(base, stride, i) \
    ((const void *)((const char *)(base) + (size_t)(stride) * (size_t)(i)))

/*
 * Threads. What Quire does today, and what a plugin may rely on:
 *   - load() and unload() run once each, on the thread that runs the report:
 *     load() right after the plugin is loaded (before any open()), unload()
 *     after every state is closed, right before the plugin is unloaded.
 *   - Calls on one state (open, every scan, close) never overlap and come
 *     from one thread.
 *   - Different states may be in use at the same time on different threads,
 *     for the same plugin and even the same source (two facts that name one
 *     source open it twice): `quire run` reads the entity source first,
 *     alone; then the sources of all facts without `segment:` at once, each
 *     on a thread of its own (the first on the report's thread), each opened,
 *     scanned and closed there; then the facts about segments, and then the
 *     sources that row tables print, one after the other on the report's
 *     thread. So open, scan and close must not share
 *     mutable data between states without a lock; library set-up that must
 *     happen once belongs in load().
 *   - Call the host's functions only from inside a call the host made
 *     (open, scan, close, load), on that thread, with the hctx of that call;
 *     never from a thread of the plugin's own or after the call returned.
 *     alloc, realloc and free are the exception: they may be called from
 *     any thread at any time while the plugin is loaded.
 */

/* ---------------------------------------------------------------- plugin */

enum {
    QUIRE_CAP_STREAM = 1u << 0,     /* streams rows (every plugin) */
    QUIRE_CAP_PROJECTION = 1u << 1, /* produces only the requested columns */
    QUIRE_CAP_AGGREGATE = 1u << 2   /* takes the fact query: aggregate() (ABI 1.3) */
};

typedef struct quire_plugin {
    uint32_t abi_version; /* QUIRE_PLUGIN_ABI_VERSION the plugin was built with */
    uint32_t struct_size; /* sizeof(quire_plugin) the plugin was built with */
    const char *name;     /* as used in specs: "csv" */
    const char *version;
    const char *summary;  /* one line for `quire plugins` */
    uint32_t caps;
    const quire_option_def *options; /* terminated by an entry with name NULL,
                                      * walked with the stride option_size */

    /* Open a source. On success store the plugin's state in *state, return 0.
     * On failure call host->error and return non-zero. */
    int (*open)(const quire_host *host, void *hctx,
                const quire_source_config *cfg, void **state);
    /* Stream the rows, in batches, through host->emit. May be called more
     * than once on one state; each call starts from the first record. */
    int (*scan)(void *state, const quire_scan_request *req);
    /* Release the state. Accepts NULL. */
    void (*close)(void *state);

    /* ABI 1.2 */
    /* sizeof(quire_option_def) the plugin was built with: the stride of its
     * option table. Absent (an older plugin): the 1.1 size. */
    uint32_t option_size;
    /* sizeof(quire_column) the plugin was built with: the stride of the
     * column arrays it hands over (batch columns) and of those the host hands
     * to it (cfg->declared, req->projection). Absent: the 1.1 size. */
    uint32_t column_size;
    /* Set up and tear down what the plugin's libraries need once per process
     * (curl_global_init, a locale, a table). Either may be NULL. The host
     * calls load() once after loading the plugin, before any open(); with
     * the host table and an hctx for this call only (log and error work;
     * emit and note do not). On failure it calls host->error and returns
     * non-zero: the plugin is not used, and unload() is not called. unload()
     * runs after every state is closed, before the plugin is unloaded. */
    int (*load)(const quire_host *host, void *hctx);
    void (*unload)(void);

    /* ABI 1.3 */
    /* Answer the fact query req (see quire_aggregate_request) through
     * host->emit, on an open state, as scan() answers a projection. Only
     * called when caps has QUIRE_CAP_AGGREGATE and the spec has not turned
     * pushdown off. Returns 0; or QUIRE_AGGREGATE_DECLINED, before emitting
     * anything, and the host scans rows instead; or, having called
     * host->error_at (or error), another non-zero value. NULL: no pushdown. */
    int (*aggregate)(void *state, const quire_aggregate_request *req);
} quire_plugin;

/* The typed value of option i (ABI 1.2 hosts), or NULL from an older host:
 * then read cfg->option_values[i], the text. */
static inline const quire_option_value *quire_option_at(const quire_source_config *cfg,
                                                        uint32_t i)
{
    if (!cfg || !QUIRE_HAS_FIELD(cfg, quire_source_config, values) || !cfg->values ||
        i >= cfg->noptions ||
        cfg->value_size < offsetof(quire_option_value, set) + sizeof(uint32_t))
        return (const quire_option_value *)0;
    return (const quire_option_value *)QUIRE_AT(cfg->values, cfg->value_size, i);
}

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
