/*
 * spec.h - a report spec, parsed from YAML and validated.
 *
 * spec_load() reads the whole file with libyaml, substitutes parameters
 * (${name}), checks every key against what the format allows (unknown keys
 * are errors with a "did you mean" hint) and resolves relative paths against
 * the spec's own folder. Every error names file:line:column.
 *
 * Plugin options are checked later, against each plugin's option table
 * (source.c), because only the plugin knows them; the spec keeps their
 * positions for that message.
 */
#ifndef QUIRE_SPEC_H
#define QUIRE_SPEC_H

#include <limits.h>
#include <stddef.h>

#include "date.h"
#include "format.h"
#include "error.h"
#include "qlocale.h"
#include "expr.h"
#include "quire/plugin.h"
#include "ruletable.h"

typedef struct spec_pos {
    int line, col; /* 1-based */
} spec_pos;

typedef enum param_type {
    PARAM_STRING = 0,
    PARAM_INTEGER,
    PARAM_NUMBER,
    PARAM_DATE,
    PARAM_MONTH,
    PARAM_PATH
} param_type;

typedef struct spec_param {
    char *name;
    param_type type;
    char *value;      /* after defaults and --param; paths resolved */
    char *help;
    char **choices;   /* the values it may take (choices:), or NULL: any of its type */
    size_t nchoices;
    spec_pos pos;
} spec_param;

typedef struct spec_option {
    char *key;
    char *value;      /* as written, parameters substituted */
    char *raw;        /* as written, before substitution: which ${param} it uses */
    spec_pos pos;
} spec_option;

/* A derived column (`derive:`) or a row condition (`where:`): a name (the
 * column, or the reason a row is dropped) and its expression. */
typedef struct spec_expr {
    char *name;
    expr_code *x;
    spec_pos pos;
} spec_expr;

/* One of several inputs of a source (`parts:`): the source's options and
 * columns with some changed, read one after the other as one source. */
typedef struct spec_part {
    spec_option *options;   /* the options the part sets */
    size_t noptions;
    quire_column *columns;  /* columns whose format the part changes */
    size_t ncolumns;
    spec_pos pos;
} spec_part;

typedef struct spec_source {
    char *name;
    char *plugin;
    spec_option *options;
    size_t noptions;
    /* Declared columns, names and formats owned: the plugin's columns
     * (columns[0 .. nplain)), then the derived ones, in derive's order. */
    quire_column *columns;
    size_t ncolumns, nplain;
    spec_expr *derived;     /* columns[nplain + i] is derived[i] */
    size_t nderived;
    spec_expr *where;       /* conditions a row must meet, in order */
    size_t nwhere;
    int distinct;           /* rows identical to an earlier one are dropped */
    char **distinct_on;     /* ... identical in these columns only; NULL: in all */
    size_t ndistinct_on;
    spec_part *parts;       /* several inputs, or none */
    size_t nparts;
    int pushdown;           /* 1 (the default): a fact query may go to the plugin */
    spec_pos pos, plugin_pos;
} spec_source;

typedef enum agg_kind {
    AGG_COUNT = 0,
    AGG_SUM,
    AGG_MIN,
    AGG_MAX
} agg_kind;

/* count(col OP number): which rows a count counts. */
typedef enum cmp_op {
    CMP_NONE = 0,     /* count: every row; count(col): rows where col is present */
    CMP_LT,
    CMP_LE,
    CMP_GT,
    CMP_GE,
    CMP_EQ,
    CMP_NE
} cmp_op;

typedef struct spec_measure {
    char *name;
    agg_kind agg;
    char *column;     /* NULL for a plain count */
    cmp_op cmp;       /* count(col OP value) */
    double cmp_value;
    spec_pos pos;
} spec_measure;

typedef struct spec_fact {
    char *source;     /* the source it folds */
    char *key;        /* column holding the entity key; NULL when keyed by segment */
    char *segment;    /* column holding a segment name (facts about segments), or NULL */
    char *date;       /* column holding the date */
    spec_measure *measures;
    size_t nmeasures;
    spec_pos pos;
} spec_fact;

typedef struct spec_segment {
    char *name;
    quire_rgb color;
    int churned;      /* members count as lost for retention */
    spec_pos pos;
} spec_segment;

/* A way of grouping the customers each month: by a Lua rule, by rules
 * written in the spec (a rule table), or by the value of a text attribute of
 * the entities. The spec's "segments" is the
 * first (named "segments"); "segmentations" adds more. */
typedef struct spec_segmentation {
    char *name;
    char *title;              /* what the groups are, for captions, or NULL */
    char *rule;               /* resolved path of the rule, or NULL (by) */
    spec_pos rule_pos;
    char *by;                 /* a text attribute, or NULL (rule) */
    ruletable *table;         /* rules written in the spec (ruletable.h), or NULL */
    spec_segment *segments;   /* with by and no list: empty, found in the data */
    size_t nsegments;
    spec_pos pos;
} spec_segmentation;

/* A KPI's target (targets:): for one segment of the first segmentation,
 * for all customers ("All"), or, segment NULL, for every group; in one
 * period (an index in the spec's grain) or, period SPEC_ANY_PERIOD, in
 * every period. */
#define SPEC_ANY_PERIOD INT_MIN
typedef struct spec_target {
    char *segment;
    int period;
    double value;
} spec_target;

typedef struct spec_kpi {
    char *name;
    char *script;     /* resolved path */
    spec_pos pos;
    spec_target *targets;
    size_t ntargets;
} spec_kpi;

/* A comparison beside a KPI's value (compare: of tiles and tables). */
typedef enum spec_cmp_kind {
    SPEC_CMP_PREVIOUS = 0, /* the period before */
    SPEC_CMP_LAST_YEAR,    /* the same period a year before */
    SPEC_CMP_ROLLING,      /* the KPI over the last n periods' sums added up */
    SPEC_CMP_YTD,          /* ... over the (fiscal) year's periods so far */
    SPEC_CMP_TARGET        /* the KPI's target (targets:), as attainment */
} spec_cmp_kind;

typedef struct spec_compare {
    spec_cmp_kind kind;
    int n;             /* ROLLING: periods (2..60) */
} spec_compare;

typedef enum spec_block_kind {
    BLOCK_PARAGRAPH = 0,
    BLOCK_QUESTIONS,
    BLOCK_CHART,
    BLOCK_HEADING,
    BLOCK_BULLETS,
    BLOCK_TILES,
    BLOCK_TABLE,
    BLOCK_MODEL              /* what a model found: models_spec.h */
} spec_block_kind;

/* An insight: a Lua script answering a question, and its arguments. */
typedef struct spec_arg {
    char *key;
    char **values;           /* a scalar's value, or a list's items */
    size_t nvalues;
    int list;
    spec_pos pos;
} spec_arg;

typedef struct spec_insight {
    char *script;            /* resolved path, or NULL: a question without an answer */
    spec_arg *args;
    size_t nargs;
    spec_pos pos;
} spec_insight;

/* The month a block shows: an index of the report's months, or the last. */
#define SPEC_MONTH_LAST (-1)

/* The chart a block asks for; the renderer's doc_chart_kind follows the same
 * order (checked where the document is built). */
typedef enum spec_chart_kind {
    SPEC_CHART_LINE = 0,
    SPEC_CHART_BAR,
    SPEC_CHART_STACKED,
    SPEC_CHART_HBAR,
    SPEC_CHART_HEATMAP,
    SPEC_CHART_AREA,
    SPEC_CHART_DONUT,
    SPEC_CHART_BAR_LINE,
    SPEC_CHART_SCATTER,
    SPEC_CHART_MULTIPLES,
    SPEC_CHART_HISTOGRAM,
    SPEC_CHART_BOX
} spec_chart_kind;

/* A customer scatter's sample when the spec sets none, and the limits of
 * sample and a histogram's bins. */
#define SPEC_SAMPLE_DEFAULT 500
#define SPEC_SAMPLE_MAX 5000
#define SPEC_BINS_MIN 2
#define SPEC_BINS_MAX 60

/* A spec's models section: models_spec.h. */
typedef struct spec_models spec_models;

/* A table's row filter, `where: NAME OP VALUE` (rowsel.h). */
typedef struct spec_cond {
    char *name;
    cmp_op op;
    char *text;              /* the right side as written, quotes removed */
    double num;              /* it as a number, or NAN when it is not one */
    spec_pos pos;
} spec_cond;

/* `sort: NAME [asc|desc]`: the direction. */
#define SPEC_SORT_DEFAULT 0  /* desc with top, else asc */
#define SPEC_SORT_ASC 1
#define SPEC_SORT_DESC 2

/* How a table shows a column (an item of its columns or kpis written as
 * { name, label, format, decimals }). */
#define SPEC_FORMAT_DEFAULT (-1) /* the column's own: its type, the KPI's unit */
#define SPEC_FORMAT_DATE 100     /* a day count as YYYY-MM-DD */
#define SPEC_FORMAT_TEXT 101     /* as it is */
typedef struct spec_colfmt {
    char *label;             /* the heading, or NULL: the default */
    int format;              /* a quire_unit, a SPEC_FORMAT_ */
    int decimals;            /* -1: the format's */
    spec_pos pos;            /* the column's item */
} spec_colfmt;

/* A spec's schedule section: schedule.h. */
typedef struct schedule schedule;

typedef struct spec_block {
    spec_block_kind kind;
    char *text;              /* PARAGRAPH text, QUESTIONS title, HEADING text */
    char **items;            /* QUESTIONS, BULLETS */
    size_t nitems;
    spec_insight *insights;  /* QUESTIONS: per item */
    int segmentation;        /* TILES, TABLE, CHART, QUESTIONS: index in spec->segmentations */
    spec_chart_kind chart;   /* CHART */
    char *kpi;               /* CHART; NULL for a migration heatmap */
    char *kpi2;              /* CHART bar_line: line_kpi; scatter: x_kpi */
    int has_y_min, has_y_max; /* CHART: y_min, y_max (the axis reaches at least these) */
    double y_min, y_max;
    double *refs;            /* CHART: reference lines' values and labels (NULL: none) */
    char **ref_labels;
    size_t nrefs;
    int ref_target;          /* CHART: reference: target (the KPI's targets, as lines) */
    spec_pos ref_target_pos;
    char *matrix;            /* CHART heatmap: "migration", or NULL */
    char *title, *subtitle, *x_title, *y_title;
    char **kpis;             /* TILES, TABLE of KPIs */
    size_t nkpis;
    char *segment;           /* TILES, TABLE by month: a segment or "All" (NULL = All) */
    int month;               /* TILES, TABLE, hbar and migration: month index or SPEC_MONTH_LAST */
    int by_month;            /* TABLE of KPIs: a row per month (else per segment) */
    int totals;              /* TABLE: a totals row (All customers, or column sums) */
    char *source;            /* TABLE of rows: the source */
    char **columns;          /* TABLE of rows: its columns */
    size_t ncolumns;
    long rows;               /* TABLE of rows or customers: at most this many (0 = 1000) */
    int by_customer;         /* TABLE: a row per customer, its columns in columns */
    spec_colfmt *colfmt;     /* TABLE: per column (of columns, or of kpis), or NULL */
    spec_cond *where;        /* TABLE of KPIs or customers: the rows shown */
    size_t nwhere;
    char *sort;              /* ... in the order of this column, or NULL */
    int sort_dir;            /* SPEC_SORT_ */
    spec_pos sort_pos;
    long top, bottom;        /* ... at most the first N by the highest (lowest) sort values */
    spec_compare *compare;   /* TILES, TABLE of KPIs: what each KPI is compared with */
    size_t ncompare;         /* (tiles without compare: the previous period alone) */
    char *show;              /* MODEL: rfm_grid, rfm_segments, clusters, cohorts */
    char *value;             /* MODEL: what its cells hold, or NULL (the default); CHART
                              * histogram, box, scatter of customers: the per-customer value
                              * (y for the scatter), named as a table by customer names it */
    char *x_value;           /* CHART scatter of customers: the value along x */
    spec_pos value_pos, x_value_pos;
    int bins;                /* CHART histogram: at most this many bins (0: automatic) */
    long sample;             /* CHART scatter of customers: at most this many points */
    spec_pos pos;
} spec_block;

typedef struct spec_section {
    char *title;
    char *intro;
    spec_block *blocks;
    size_t nblocks;
    spec_pos pos;
} spec_section;

/* The cover page's layouts (theme.cover). */
enum { SPEC_COVER_LEFT = 0, SPEC_COVER_CENTERED, SPEC_COVER_BAND };

/* The theme: section, or a theme file's (docs/rendering.md). */
typedef struct spec_theme {
    int has_accent;
    quire_rgb accent;         /* headings' bars, rules, the period, tiles' tops */
    char *font, *bold_font;   /* resolved TrueType files, or NULL: DejaVu Sans */
    int landscape;            /* orientation: landscape */
    int cover;                /* SPEC_COVER_* */
    char *logo;               /* a resolved PNG or JPEG file, or NULL */
    int logo_jpeg;            /* the logo is a JPEG */
    int header_logo;          /* the logo in every page's header too (default 1) */
} spec_theme;

typedef struct spec {
    char *path;        /* as given */
    char *dir;         /* its folder: relative paths resolve against it */
    const char *data_root; /* borrowed, resolved, set by the caller after loading: every
                              path a source option names must lie inside it (NULL: none) */
    char *title, *subtitle, *objective;

    spec_param *params;
    size_t nparams;

    grain grain;              /* what a period is (date.h): a month unless periods.grain says */
    int month_from, month_to; /* report periods, indices in grain (month indices by default) */
    int history;              /* periods loaded before month_from */

    spec_source *sources;
    size_t nsources;

    char *entity_source, *entity_key, *entity_since;
    int entity_since_min;     /* since: min(column): one entity per key of a source of
                               * many rows per key, since its earliest date */
    char **entity_attrs;      /* columns of the entity source kept per entity */
    size_t nentity_attrs;
    spec_pos entity_pos;

    spec_fact *facts;
    size_t nfacts;
    int *windows;             /* rolling windows in months; SPEC_LIFETIME: all loaded */
    size_t nwindows;

    spec_segmentation *segmentations; /* [0] is "segments" */
    size_t nsegmentations;
    /* The first segmentation's, borrowed from segmentations[0]. */
    char *segment_rule;       /* resolved path, or NULL (by) */
    spec_pos segment_rule_pos;
    spec_segment *segments;
    size_t nsegments;

    spec_kpi *kpis;
    size_t nkpis;
    char *targets_file;       /* targets: { file: }: resolved path, or NULL; read by
                               * spec_read_targets() */
    spec_pos targets_pos;
    /* The comparisons the KPI stage evaluates (last_year, rolling, ytd: one
     * of each asked for by a block), and how many periods before the first
     * report period they reach back. */
    spec_compare *compares;
    size_t ncompares;
    int lookback;

    spec_section *sections;
    size_t nsections;

    /* theme: (or a theme file): colours, fonts, cover, orientation, logo */
    spec_theme theme;

    /* locale: and currency: (qlocale.h), or NULL: en_US and "$", by hand */
    quire_locale *locale;

    /* page: and the layout switches */
    int page_letter;          /* 0 A4, 1 US Letter */
    double page_margin;       /* points, 0 = the default */
    char *logo;               /* resolved path of a PNG, or NULL */
    int contents;             /* title page and contents page */
    int strict;               /* preflight problems are errors */

    /* Lua limits; 0 = the sandbox's default */
    size_t lua_memory;
    unsigned long lua_instructions;
    double lua_seconds;
    unsigned long long seed;

    struct schedule *schedule; /* the schedule section (schedule.h), or NULL */
    spec_models *models;      /* the models section (models_spec.h), or NULL */
} spec;

#define SPEC_LIFETIME 0

/* Parameters given on the command line (--param NAME=VALUE). */
typedef struct spec_override {
    const char *name;
    const char *value;
} spec_override;

/* The keys of a source that are the spec's, not its plugin's options:
 * plugin, columns, derive, where, distinct, parts, pushdown (SPEC_SOURCE_NKEYS). */
#define SPEC_SOURCE_NKEYS 7
extern const char *const spec_source_keys[SPEC_SOURCE_NKEYS];
int spec_is_source_key(const char *key);

/* Load and validate a spec. Returns NULL with err set (code QUIRE_EXIT_USAGE). */
spec *spec_load(const char *path, const spec_override *ov, size_t nov, quire_error *err);
void spec_free(spec *s);

/* Check what one section of s says of another (columns, their types, the
 * attributes a segmentation groups by): bind.c. spec_load() calls it last. */
int spec_bind(const spec *s, quire_error *err);
/* Set err to a usage error at s's file, line:col of at, and return -1: the
 * error of a check that spans sections (bind.c, models_spec.c, targets.c). */
int spec_fail(const spec *s, spec_pos at, quire_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* What a column of a table by customer names (bind.c). */
typedef enum spec_cust {
    SPEC_CUST_NONE = 0,
    SPEC_CUST_KEY,        /* the entity key */
    SPEC_CUST_SEGMENT,    /* the customer's segment in the month */
    SPEC_CUST_PREV,       /* ... the month before */
    SPEC_CUST_KPI,        /* a KPI's customer() value */
    SPEC_CUST_TEXT,       /* a text attribute */
    SPEC_CUST_NUMBER,     /* a numeric field of the record */
    SPEC_CUST_DATE        /* a min or max of a date: the latest date up to the month's end */
} spec_cust;
spec_cust spec_customer_field(const spec *s, const char *name);

/* The index of c in s->compares, or -1 (previous and target are not there). */
int spec_compare_index(const spec *s, spec_compare c);
/* KPI k's target for the group named segment ("All": all customers) in
 * period p (an index in the spec's grain), or NAN: the most specific of the
 * targets given (this segment before every group, this period before every
 * period). */
double spec_kpi_target(const spec_kpi *k, const char *segment, int p);
/* Read the targets file of the spec (targets: { file: ... }), when it has
 * one, into its KPIs' targets: every record checked (KPI, segment, period,
 * number, no duplicate), an error at the file's line:col. Called once the
 * data root has been checked. Returns 0, or -1 with err set (exit 1). */
int spec_read_targets(spec *s, quire_error *err);
/* At most this many targets a KPI: a target per segment and week for a
 * quarter of a century. The duplicate check and the lookup are linear, so a
 * huge targets file is refused rather than read in quadratic time. */
#define SPEC_TARGETS_MAX 10000
/* Add a target to KPI k (segment NULL: every group; period SPEC_ANY_PERIOD:
 * every period). Returns -1, adding nothing, when k has one for the same
 * segment and period already; -2 when k has SPEC_TARGETS_MAX. */
int spec_target_add(spec_kpi *k, const char *segment, int period, double value);
/* The periods a comparison needs before p's own: a year, n - 1, ... */
int spec_compare_reach(const spec *s, spec_compare c);

/* The column src declares as name, or NULL. */
const quire_column *spec_column(const spec_source *src, const char *name);
const spec_source *spec_find_source(const spec *s, const char *name);
/* Index of the segment named name in the first segmentation, or -1. */
int spec_segment_index(const spec *s, const char *name);
/* The colour of the i-th segment of a list that names none. */
quire_rgb spec_palette(size_t i);
/* Index of the segment named name in segmentation g, or -1. */
int spec_segmentation_index(const spec_segmentation *g, const char *name);

#endif
