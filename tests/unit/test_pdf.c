/*
 * test_pdf.c - value formats, nice ticks, line breaking, and a report
 * resembling the monthly segment report rendered and read back with qpdf,
 * pdftotext, pdffonts and pdfinfo.
 */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chart.h"
#include "check.h"
#include "doc.h"
#include "pdf.h"
#include "text.h"
#include "format.h"

/* ------------------------------------------------------------ helpers */

static char *fmt(double v, quire_unit unit, int decimals)
{
    static char buf[128];

    quire_format_value(buf, sizeof buf, v, unit, decimals);
    return buf;
}

static char *axis(double v, double step, double max_abs, quire_unit unit)
{
    static char buf[128];

    quire_format_axis(buf, sizeof buf, v, step, max_abs, unit);
    return buf;
}

/* Run cmd, return its stdout (malloc'd) and its exit status in *status. */
static char *run(const char *cmd, int *status)
{
    FILE *p = popen(cmd, "r");
    size_t cap = 1 << 16, len = 0, k;
    char *out = malloc(cap);
    int st;

    if (!p || !out) {
        free(out);
        if (p)
            pclose(p);
        *status = -1;
        return NULL;
    }
    while ((k = fread(out + len, 1, cap - len - 1, p)) > 0) {
        len += k;
        if (cap - len < 4096) {
            char *bigger = realloc(out, cap * 2);

            if (!bigger)
                break;
            out = bigger;
            cap *= 2;
        }
    }
    out[len] = '\0';
    st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return out;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = (size_t)n;
    }
    return buf;
}

/* Files in dir whose name contains ".tmp." (leftover temporary files). */
static int count_temp_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".tmp."))
            n++;
    closedir(d);
    return n;
}

/* ------------------------------------------------------------ formats */

static void test_format(void)
{
    CHECK_STR(fmt(1234.5, QUIRE_UNIT_COUNT, -1), "1,235"); /* half away from zero */
    CHECK_STR(fmt(1234.4, QUIRE_UNIT_COUNT, -1), "1,234");
    CHECK_STR(fmt(999.5, QUIRE_UNIT_COUNT, -1), "1,000");
    CHECK_STR(fmt(0, QUIRE_UNIT_COUNT, -1), "0");
    CHECK_STR(fmt(-1234567, QUIRE_UNIT_COUNT, -1), "-1,234,567");
    CHECK_STR(fmt(-0.4, QUIRE_UNIT_COUNT, -1), "0"); /* never "-0" */
    CHECK_STR(fmt(1e20, QUIRE_UNIT_COUNT, -1), "100,000,000,000,000,000,000");

    CHECK_STR(fmt(1234.5, QUIRE_UNIT_CURRENCY, -1), "$1,234.50");
    CHECK_STR(fmt(-12, QUIRE_UNIT_CURRENCY, -1), "-$12.00");
    CHECK_STR(fmt(-0.001, QUIRE_UNIT_CURRENCY, -1), "$0.00");
    CHECK_STR(fmt(1500, QUIRE_UNIT_CURRENCY, 0), "$1,500");
    CHECK_STR(fmt(999999.999, QUIRE_UNIT_CURRENCY, -1), "$1,000,000.00");

    CHECK_STR(fmt(0.813, QUIRE_UNIT_PERCENT, -1), "81.3%");
    CHECK_STR(fmt(0.8125, QUIRE_UNIT_PERCENT, -1), "81.3%");
    CHECK_STR(fmt(1, QUIRE_UNIT_PERCENT, -1), "100.0%");
    CHECK_STR(fmt(-0.05, QUIRE_UNIT_PERCENT, -1), "-5.0%");
    CHECK_STR(fmt(0.5, QUIRE_UNIT_PERCENT, 0), "50%");
    CHECK_STR(fmt(0.12345, QUIRE_UNIT_PERCENT, 2), "12.35%");

    CHECK_STR(fmt(87.25, QUIRE_UNIT_SCORE, -1), "87.3");
    CHECK_STR(fmt(-3, QUIRE_UNIT_SCORE, -1), "-3.0");
    CHECK_STR(fmt(12.5, QUIRE_UNIT_DAYS, -1), "12.5 d");
    CHECK_STR(fmt(1200, QUIRE_UNIT_DAYS, 0), "1,200 d");
    CHECK_STR(fmt(3.24, QUIRE_UNIT_MONTHS, -1), "3.2 mo");

    CHECK_STR(fmt(1234.5, QUIRE_UNIT_NUMBER, -1), "1,234.5");
    CHECK_STR(fmt(2, QUIRE_UNIT_NUMBER, -1), "2");
    CHECK_STR(fmt(1234.567, QUIRE_UNIT_NUMBER, -1), "1,234.57");
    CHECK_STR(fmt(-0.004, QUIRE_UNIT_NUMBER, -1), "0");
    CHECK_STR(fmt(1.5, QUIRE_UNIT_NUMBER, 3), "1.500");

    CHECK_STR(fmt(NAN, QUIRE_UNIT_COUNT, -1), "\xE2\x80\x93");
    CHECK_STR(fmt(NAN, QUIRE_UNIT_CURRENCY, -1), "\xE2\x80\x93");
    CHECK_STR(fmt(NAN, QUIRE_UNIT_PERCENT, 2), "\xE2\x80\x93");
    CHECK_STR(fmt(INFINITY, QUIRE_UNIT_NUMBER, -1), "\xE2\x80\x93");

    {
        char small[4];

        quire_format_value(small, sizeof small, 123456, QUIRE_UNIT_COUNT, -1);
        CHECK_STR(small, "123");
    }

    CHECK_STR(axis(0.75, 0.05, 0.85, QUIRE_UNIT_PERCENT), "75.0%");
    CHECK_STR(axis(0.755, 0.005, 0.8, QUIRE_UNIT_PERCENT), "75.5%");
    CHECK_STR(axis(1500, 500, 2000, QUIRE_UNIT_CURRENCY), "$1,500");
    CHECK_STR(axis(0, 500, 2000, QUIRE_UNIT_CURRENCY), "$0");
    CHECK_STR(axis(6000, 1000, 9000, QUIRE_UNIT_COUNT), "6,000");
    CHECK_STR(axis(15000, 5000, 20000, QUIRE_UNIT_COUNT), "15,000");
    CHECK_STR(axis(150000, 50000, 200000, QUIRE_UNIT_COUNT), "150k");
    CHECK_STR(axis(2500, 2500, 200000, QUIRE_UNIT_NUMBER), "2.5k");
    CHECK_STR(axis(0, 50000, 200000, QUIRE_UNIT_CURRENCY), "$0");
    CHECK_STR(axis(-100000, 50000, 200000, QUIRE_UNIT_CURRENCY), "-$100k");
    CHECK_STR(axis(1500000, 500000, 2000000, QUIRE_UNIT_NUMBER), "1.5M");
    CHECK_STR(axis(2000000, 500000, 2000000, QUIRE_UNIT_NUMBER), "2M");
    CHECK_STR(axis(-500, 500, 1500, QUIRE_UNIT_NUMBER), "-500");
    CHECK_STR(axis(2.05, 0.05, 2.2, QUIRE_UNIT_NUMBER), "2.05");
    CHECK_STR(axis(2, 0.05, 2.2, QUIRE_UNIT_NUMBER), "2.00");
    CHECK_STR(axis(40, 20, 100, QUIRE_UNIT_SCORE), "40");
}

/* ------------------------------------------------------------ ticks */

static int ticks_are(double lo, double hi, double min, double max, double step)
{
    chart_ticks t;

    chart_nice_ticks(lo, hi, 5, &t);
    return fabs(t.min - min) < 1e-9 && fabs(t.max - max) < 1e-9 && fabs(t.step - step) < 1e-12 &&
           t.count == (int)lround((max - min) / step) + 1;
}

static void test_ticks(void)
{
    chart_ticks t;

    CHECK(ticks_are(5, 86, 0, 100, 20));
    CHECK(ticks_are(105, 543, 100, 600, 100));
    CHECK(ticks_are(2.03, 2.17, 2.00, 2.20, 0.05));
    CHECK(ticks_are(-37, 1250, -500, 1500, 500));
    CHECK(ticks_are(0, 1, 0, 1, 0.2));

    chart_nice_ticks(7, 7, 5, &t); /* one value: widened around it */
    CHECK(t.min < 7 && t.max > 7 && t.count >= 2);
    chart_nice_ticks(0, 0, 5, &t);
    CHECK(t.min < 0 && t.max > 0);
    chart_nice_ticks(86, 5, 5, &t); /* swapped bounds */
    CHECK(t.min == 0 && t.max == 100);
}

/* ------------------------------------------------------------ text */

static double unit_width(void *ctx, uint32_t cp)
{
    (void)ctx;
    (void)cp;
    return 1;
}

/* Wrap s at width w with one unit per code point, lines joined by '|'. */
static char *wrap(const char *s, double w)
{
    static char out[512];
    size_t len = strlen(s), pos = 0, line_len, n = 0;

    out[0] = '\0';
    while (pos < len && n + 64 < sizeof out) {
        size_t next = quire_wrap_next(s + pos, len - pos, w, unit_width, NULL, &line_len);

        if (n)
            out[n++] = '|';
        memcpy(out + n, s + pos, line_len);
        n += line_len;
        pos += next;
    }
    out[n] = '\0';
    return out;
}

static void test_wrap(void)
{
    size_t i = 0;

    CHECK_STR(wrap("hello world foo", 11), "hello world|foo");
    CHECK_STR(wrap("hello world foo", 5), "hello|world|foo");
    CHECK_STR(wrap("hello   world", 8), "hello|world");
    CHECK_STR(wrap("abcdefghij", 4), "abcd|efgh|ij");
    CHECK_STR(wrap("one\ntwo three", 20), "one|two three");
    CHECK_STR(wrap("year-over-year growth", 10), "year-over-|year|growth");
    CHECK_STR(wrap("down -5% now", 7), "down|-5% now");
    /* a minus after a bracket, a date: no break inside */
    CHECK_STR(wrap("up (-0.4 pts)", 6), "up|(-0.4|pts)");
    CHECK_STR(wrap("in 2024-02 now", 8), "in|2024-02|now");
    CHECK_STR(wrap("Zo\xC3\xAB M\xC3\xBCller", 3), "Zo\xC3\xAB|M\xC3\xBCl|ler");
    CHECK_STR(wrap("\xE4\xB8\xAD\xE6\x96\x87\xE6\x96\x87\xE5\xAD\x97", 2),
              "\xE4\xB8\xAD\xE6\x96\x87|\xE6\x96\x87\xE5\xAD\x97");
    CHECK_STR(wrap("", 5), "");

    CHECK(quire_utf8_next("\xC3\xA9", 2, &i) == 0xE9 && i == 2);
    i = 0;
    CHECK(quire_utf8_next("\xC3", 1, &i) == 0xFFFD && i == 1);
    i = 0;
    CHECK(quire_utf8_next("\xC0\xAF", 2, &i) == 0xFFFD && i == 1); /* overlong */
    i = 0;
    CHECK(quire_utf8_next("\xED\xA0\x80", 3, &i) == 0xFFFD); /* surrogate */
    i = 0;
    CHECK(quire_utf8_next("\xF0\x9F\x98\x80", 4, &i) == 0x1F600 && i == 4);
}

/* ------------------------------------------------------------ the report */

static const char *const months[] = {"Feb 2024", "Mar 2024", "Apr 2024"};
static const char *const segments[] = {"VIP", "Regular", "At Risk", "Inactive", "New"};
static const quire_rgb seg_colors[] = {
    {0.16, 0.38, 0.66}, {0.93, 0.49, 0.19}, {0.80, 0.25, 0.27}, {0.50, 0.52, 0.55},
    {0.24, 0.60, 0.39},
};
static const quire_rgb month_colors[] = {{0.62, 0.74, 0.88}, {0.33, 0.55, 0.80}, {0.13, 0.31, 0.58}};

/* Line charts: 5 series (segments) x 3 categories (months). */
static const double customers[] = {6120, 6240, 6410, 8850, 8700, 8920, 7050, 7390, 7210,
                                   6380, 6650, 6900, 6010, 7480, 8120};
static const double retention[] = {0.885, 0.892, 0.901, 0.812, 0.806, 0.821, 0.752,
                                   0.761, NAN, 0.774, 0.765, 0.758, 0.801, 0.823, 0.834};
static const double email_open[] = {0.412, 0.405, 0.398, 0.334, 0.341, 0.352, 0.301,
                                     0.296, 0.305, 0.318, 0.322, 0.315, 0.371, 0.383, 0.390};
/* Bar charts: 3 series (months) x 5 categories (segments). */
static const double order_value[] = {1650.4, 520.1, 310.9, 120.5, 402.0, 1712.9, 531.0,
                                     298.4,  115.2, 436.8, 1803.2, 547.6, 305.0, 110.0, 455.3};
static const double churn_score[] = {12.5, 28.4, 71.2, 88.9, 35.0, 11.8, 29.9, 74.5,
                                     90.2, 31.4, 10.9, 27.1, NAN, 91.5, 30.2};
static const double visits[] = {14.2, 6.8, 2.1, 0.4, 8.9, 15.1, 7.2, 1.8, 0.3, 9.6,
                                15.8, 7.0, 1.6, 0.5, 10.4};
static const double net_change[] = {12500, -3200, -8100, -1500, 4200, 9800, 1400, -6600,
                                    -2100, 5100, 15200, 2300, -9900, -800, 6400};
static const double no_values[] = {NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN,
                                   NAN, NAN, NAN, NAN, NAN};

#define LINE_CHART(t, st, yt, u, v)                                                          \
    {                                                                                        \
        DOC_CHART_LINE, t, st, "Month", yt, u, -1, 3, months, 5, segments, seg_colors, v, NULL \
    }
#define BAR_CHART(t, st, yt, u, v)                                                           \
    {                                                                                        \
        DOC_CHART_BAR, t, st, "Segment", yt, u, -1, 5, segments, 3, months, month_colors, v, NULL \
    }

static const char *const q1[] = {
    "Which segments are growing or shrinking the fastest?",
    "Are there seasonal patterns in segment sizes?",
    "How effective are our efforts to move customers to higher-value segments?",
    "Which segments show the highest average order value?",
    "How has average order value changed over time?",
    "What is the value gap between segments?",
};
static const char *const a1[] = {
    "New grew fastest: +35.1% since Feb 2024 (6,010 to 8,120 customers), while At Risk "
    "peaked in March and is now shrinking.",
    NULL,
    "Upgrades from Regular to VIP rose for the third month in a row; 290 customers moved up "
    "in April.",
    "VIP leads with $1,803.20 per order in Apr 2024, more than three times Regular.",
    NULL,
    NULL,
};
static const char *const q2[] = {
    "Which segments show concerning retention trends?",
    "Are there seasonal patterns in retention rates?",
    "How do retention rates compare across segments?",
    "Which segments have the highest churn risk?",
    "How has churn risk evolved over time?",
    "What is the relationship between segment value and churn risk?",
};
static const char *const a2[] = {
    "Inactive retention fell from 77.4% to 75.8% over the period.", NULL, NULL,
    "Inactive (91.5) and At Risk (74.5 in March) carry the highest churn risk scores.", NULL,
    "Higher-value segments churn less: VIP's risk score stays near 11.",
};
static const char *const q3[] = {
    "Which segments are most responsive to email communications?",
    "Are there trends in email engagement over time?",
    "How do seasonal factors affect email engagement?",
    "Which segments show the highest website engagement?",
    "How has website engagement changed over time?",
    "Is there correlation between visit frequency and customer value?",
};
static const char *const a3[] = {
    "VIP opens the most email (39.8% in April), though its rate has eased since February.",
    NULL, NULL, NULL, NULL, NULL,
};

static const doc_block sec1[] = {
    {.kind = DOC_QUESTIONS, .text = "Questions to Consider:", .nitems = 6, .items = q1, .answers = a1},
    {.kind = DOC_CHART, .chart =
     LINE_CHART("How is Customer Distribution Changing Across Segments?",
                "Track monthly changes in customer count by segment to identify growth and "
                "migration patterns",
                "Customers", QUIRE_UNIT_COUNT, customers)},
    {.kind = DOC_CHART, .chart =
     BAR_CHART("Average Order Value Trends by Segment",
               "Compare purchase value patterns across different customer segments",
               "Average order value", QUIRE_UNIT_CURRENCY, order_value)},
};
static const doc_block sec2[] = {
    {.kind = DOC_QUESTIONS, .text = "Questions to Consider:", .nitems = 6, .items = q2, .answers = a2},
    {.kind = DOC_CHART, .chart =
     LINE_CHART("Segment Retention Rates Over Time",
                "Monitor monthly retention rates to identify at-risk segments", "Retention rate",
                QUIRE_UNIT_PERCENT, retention)},
    {.kind = DOC_CHART, .chart =
     BAR_CHART("Churn Risk Distribution by Segment",
               "Identify segments with elevated churn risk for proactive intervention",
               "Churn risk score", QUIRE_UNIT_SCORE, churn_score)},
};
static const doc_block sec3[] = {
    {.kind = DOC_QUESTIONS, .text = "Questions to Consider:", .nitems = 6, .items = q3, .answers = a3},
    {.kind = DOC_CHART, .chart =
     LINE_CHART("Email Engagement Rates by Segment",
                "Compare email marketing effectiveness across segments", "Open rate",
                QUIRE_UNIT_PERCENT, email_open)},
    {.kind = DOC_CHART, .chart =
     BAR_CHART("Website Engagement by Segment",
               "Analyze differences in website visit frequency across segments",
               "Visits per customer", QUIRE_UNIT_NUMBER, visits)},
    {.kind = DOC_CHART, .chart =
     BAR_CHART("Net Revenue Change by Segment",
               "Month-over-month change in revenue; segments below zero lost revenue",
               "Revenue change", QUIRE_UNIT_CURRENCY, net_change)},
    {.kind = DOC_CHART, .chart =
     LINE_CHART("Mobile App Sessions by Segment", "Sessions per active customer", NULL,
                QUIRE_UNIT_NUMBER, no_values)},
    {.kind = DOC_PARAGRAPH, .text =
     "Account managers for this period: Zoë Müller, Łódź, Ελένη, Дмитрий. Their notes on "
     "each segment follow the charts; names and places are kept as written in the CRM, "
     "including accents and non-Latin scripts."},
};

static const doc_section sections[] = {
    {"Segment Size and Value Analysis",
     "Analyze customer count and average order value trends across segments", 3, sec1},
    {"Retention and Churn Risk", "Track retention rates and churn risk indicators by segment",
     3, sec2},
    {"Engagement Metrics", "Monitor customer engagement levels across different channels", 6,
     sec3},
};

static quire_doc report(void)
{
    quire_doc d = {
        "Monthly Customer Segment Performance Report",
        "Track and analyze customer behavior, value, and engagement metrics across different "
        "segments to optimize retention strategies and identify growth opportunities.",
        "Monitor and evaluate customer segment performance across key dimensions including "
        "purchase behavior, retention, and engagement. Identify trends and opportunities within "
        "each segment to inform targeted marketing strategies and improve customer lifetime "
        "value.",
        "Feb 2024 \xE2\x80\x93 Apr 2024",
        "2024-05-01",
        {2024, 5, 1, 6, 0, 0},
        3,
        sections,
        0, 0, NULL, 0, 0, 0, NULL, 0, NULL, {0},
    };
    return d;
}

static double cpu_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void test_render(const char *dir)
{
    quire_doc doc = report();
    quire_error err = {0};
    char a[512], b[512], cmd[1200];
    char *text, *out;
    size_t la = 0, lb = 0;
    int st, pages = 0, nfonts = 0;
    double t0, t1;

    snprintf(a, sizeof a, "%s/report.pdf", dir);
    snprintf(b, sizeof b, "%s/again.pdf", dir);
    CHECK(pdf_render(&doc, a, &err) == 0);
    if (err.code)
        fprintf(stderr, "pdf_render: %s\n", err.msg);

    snprintf(cmd, sizeof cmd, "qpdf --check '%s' 2>&1", a);
    out = run(cmd, &st);
    CHECK(st == 0);
    if (st != 0 && out)
        fprintf(stderr, "%s", out);
    free(out);

    snprintf(cmd, sizeof cmd, "pdfinfo '%s' 2>/dev/null", a);
    out = run(cmd, &st);
    CHECK(st == 0);
    if (out) {
        char *p = strstr(out, "Pages:");

        if (p)
            pages = atoi(p + 6);
        CHECK_CONTAINS(out, "Monthly Customer Segment Performance Report");
        CHECK_CONTAINS(out, "Creator:         Quire");
        CHECK_CONTAINS(out, "Producer:        Quire");
        CHECK_CONTAINS(out, "2024");
        CHECK_CONTAINS(out, "Page size:       595.276 x 841.89 pts (A4)");
    }
    free(out);
    CHECK(pages >= 4);

    /* Reading order, whitespace collapsed: a title wrapped in a half-width
     * chart reads as one line. */
    snprintf(cmd, sizeof cmd, "pdftotext '%s' - 2>/dev/null | tr -s ' \\n' '  '", a);
    text = run(cmd, &st);
    CHECK(st == 0);
    if (text) {
        static const char *const want[] = {
            "Monthly Customer Segment Performance Report",
            "Report Objective",
            "Feb 2024",
            "Segment Size and Value Analysis",
            "Retention and Churn Risk",
            "Engagement Metrics",
            "Questions to Consider:",
            "How effective are our efforts to move customers to higher-value segments?",
            "New grew fastest: +35.1% since Feb 2024",
            "How is Customer Distribution Changing Across Segments?",
            "Average Order Value Trends by Segment",
            "Segment Retention Rates Over Time",
            "Churn Risk Distribution by Segment",
            "Email Engagement Rates by Segment",
            "Website Engagement by Segment",
            "Net Revenue Change by Segment",
            "Mobile App Sessions by Segment",
            "No data for this period",
            "VIP",
            "Regular",
            "At Risk",
            "Inactive",
            "New",
            "Mar 2024",
            "Apr 2024",
            "Zoë Müller, Łódź, Ελένη, Дмитрий",
            "Page 1 of",
            "Generated 2024-05-01",
            "75.0%",
            "$1,500",
            "6,000",
        };
        char last[64];
        size_t i;

        for (i = 0; i < sizeof want / sizeof want[0]; i++)
            CHECK_CONTAINS(text, want[i]);
        snprintf(last, sizeof last, "Page %d of %d", pages, pages);
        CHECK_CONTAINS(text, last);
    }
    free(text);

    snprintf(cmd, sizeof cmd, "pdffonts '%s' 2>/dev/null", a);
    out = run(cmd, &st);
    CHECK(st == 0);
    if (out) {
        char *line = strstr(out, "\n---");

        line = line ? strchr(line + 1, '\n') : NULL;
        while (line && line[1]) {
            char *tok[16], *end = strchr(line + 1, '\n'), *save = NULL, *t;
            int n = 0;

            if (end)
                *end = '\0';
            for (t = strtok_r(line + 1, " ", &save); t && n < 16; t = strtok_r(NULL, " ", &save))
                tok[n++] = t;
            if (n >= 5) {
                nfonts++;
                CHECK_STR(tok[n - 5], "yes"); /* emb */
            }
            line = end;
        }
    }
    free(out);
    CHECK(nfonts == 2);

    snprintf(cmd, sizeof cmd, "qpdf --json --json-key=outlines '%s' 2>/dev/null", a);
    out = run(cmd, &st);
    CHECK(st == 0);
    if (out) {
        CHECK_CONTAINS(out, "\"title\": \"Segment Size and Value Analysis\"");
        CHECK_CONTAINS(out, "\"title\": \"Retention and Churn Risk\"");
        CHECK_CONTAINS(out, "\"title\": \"Engagement Metrics\"");
    }
    free(out);

    /* Same document, same bytes. */
    t0 = cpu_ms();
    CHECK(pdf_render(&doc, b, &err) == 0);
    t1 = cpu_ms();
    printf("pdf: %d pages rendered in %.1f ms of CPU\n", pages, t1 - t0);
    {
        char *x = slurp(a, &la), *y = slurp(b, &lb);

        CHECK(x && y && la == lb && memcmp(x, y, la) == 0);
        free(x);
        free(y);
    }
    CHECK(count_temp_files(dir) == 0);
}

/* A start prepared on a thread: the same bytes as without it, whether it
 * is taken over, holds other faces, failed, or is never used. */
static void test_prepared(const char *dir)
{
    quire_doc doc = report();
    quire_error err = {0};
    char plain[512], path[512];
    char *want, *got;
    size_t lw = 0, lg = 0;
    pdf_prep *p;

    snprintf(plain, sizeof plain, "%s/plain.pdf", dir);
    CHECK(pdf_render(&doc, plain, &err) == 0);
    want = slurp(plain, &lw);
    CHECK(want != NULL);

    /* Taken over (DejaVu Sans, as the document's theme says). */
    snprintf(path, sizeof path, "%s/prepared.pdf", dir);
    p = pdf_prep_start(NULL, NULL);
    CHECK(p != NULL);
    CHECK(pdf_render_batch(&doc, path, NULL, p, &err) == 0);
    pdf_prep_free(p);
    got = slurp(path, &lg);
    CHECK(got && want && lg == lw && memcmp(got, want, lw) == 0);
    free(got);

    /* Other faces than the document's: not taken, the same bytes. */
    p = pdf_prep_start(PDF_FONT_BOLD, NULL);
    CHECK(pdf_render_batch(&doc, path, NULL, p, &err) == 0);
    pdf_prep_free(p);
    got = slurp(path, &lg);
    CHECK(got && want && lg == lw && memcmp(got, want, lw) == 0);
    free(got);

    /* A face that cannot be loaded: the prepared start failed, and the
     * render says so with the path, as it would without one. */
    doc.theme.font = "/nonexistent/quire-face.ttf";
    p = pdf_prep_start(doc.theme.font, NULL);
    CHECK(pdf_render_batch(&doc, path, NULL, p, &err) == -1);
    CHECK_CONTAINS(err.msg, "/nonexistent/quire-face.ttf: cannot load font");
    pdf_prep_free(p);
    doc.theme.font = NULL;

    /* Never used (the run failed before its render): freed all the same. */
    pdf_prep_free(pdf_prep_start(NULL, NULL));
    pdf_prep_free(NULL);
    free(want);
}

static void test_failures(const char *dir)
{
    quire_doc doc = report();
    quire_error err = {0};
    char path[512], keep[512], sub[512];
    static const char old[] = "previous report\n";
    char *back;
    size_t len = 0;
    FILE *f;

    /* A folder that does not exist: an error naming the path, no file left. */
    snprintf(path, sizeof path, "%s/missing/report.pdf", dir);
    CHECK(pdf_render(&doc, path, &err) == -1);
    CHECK(err.code == QUIRE_EXIT_DELIVERY);
    CHECK_STR(err.file, path);
    snprintf(sub, sizeof sub, "%s/missing", dir);
    CHECK(access(sub, F_OK) != 0);
    CHECK(count_temp_files(dir) == 0);

    /* A render that fails leaves an existing file alone. */
    snprintf(keep, sizeof keep, "%s/keep.pdf", dir);
    f = fopen(keep, "wb");
    CHECK(f != NULL);
    if (f) {
        fputs(old, f);
        fclose(f);
    }
    doc.date[1] = 2;
    doc.date[2] = 30; /* 2024-02-30 */
    memset(&err, 0, sizeof err);
    CHECK(pdf_render(&doc, keep, &err) == -1);
    CHECK(err.code == QUIRE_EXIT_DATA);
    CHECK_CONTAINS(err.msg, "invalid document date");
    back = slurp(keep, &len);
    CHECK(back && strcmp(back, old) == 0);
    free(back);

    /* Failing at the rename (the target is a folder): the temporary file goes. */
    doc = report();
    snprintf(sub, sizeof sub, "%s/afolder", dir);
    CHECK(mkdir(sub, 0755) == 0);
    memset(&err, 0, sizeof err);
    CHECK(pdf_render(&doc, sub, &err) == -1);
    CHECK(err.code == QUIRE_EXIT_DELIVERY);
    CHECK_CONTAINS(err.msg, "rename");
    CHECK(count_temp_files(dir) == 0);
    rmdir(sub);
}

/* Odd input: no sections, NULL strings, invalid UTF-8, emoji, a long word. */
static void test_odd_input(const char *dir)
{
    static const char *const cats[] = {"Only"};
    static const char *const ser[] = {"One"};
    static const double one[] = {42};
    static const doc_block blocks[] = {
        {.kind = DOC_PARAGRAPH, .text =
         "Bad bytes \xC3\x28 \xFF and an emoji \xF0\x9F\x98\x80 and "
         "Averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylongword"
         "thatmustbreak"},
        {.kind = DOC_CHART, .chart =
         {DOC_CHART_LINE, "Single point", NULL, NULL, NULL, QUIRE_UNIT_COUNT, -1, 1, cats, 1,
          ser, NULL, one, NULL}},
        {.kind = DOC_CHART, .chart =
         {DOC_CHART_BAR, NULL, NULL, NULL, NULL, QUIRE_UNIT_COUNT, -1, 0, NULL, 0, NULL, NULL,
          NULL, NULL}},
        {.kind = DOC_QUESTIONS},
    };
    static const doc_section secs[] = {{NULL, NULL, 4, blocks}};
    quire_doc doc = {.title = "Odd", .nsections = 1, .sections = secs};
    quire_doc empty = {.nsections = 0};
    quire_error err = {0};
    char path[512], cmd[1200];
    char *out;
    int st;

    snprintf(path, sizeof path, "%s/odd.pdf", dir);
    CHECK(pdf_render(&doc, path, &err) == 0);
    snprintf(cmd, sizeof cmd, "qpdf --check '%s' >/dev/null 2>&1; echo $?", path);
    out = run(cmd, &st);
    CHECK(out && atoi(out) == 0);
    free(out);
    snprintf(cmd, sizeof cmd, "pdftotext '%s' - 2>/dev/null", path);
    out = run(cmd, &st);
    CHECK_CONTAINS(out, "Section 1");
    CHECK_CONTAINS(out, "No data for this period");
    CHECK_CONTAINS(out, "Page 1 of 1");
    free(out);

    snprintf(path, sizeof path, "%s/empty.pdf", dir);
    CHECK(pdf_render(&empty, path, &err) == 0);
    CHECK(pdf_render(NULL, path, &err) == -1);
}

/* ------------------------------------------------------------ blocks */

/* How many times needle occurs in hay. */
static int occurrences(const char *hay, const char *needle)
{
    int n = 0;

    while (hay && (hay = strstr(hay, needle)) != NULL) {
        n++;
        hay += strlen(needle);
    }
    return n;
}

/* Render doc to dir/name; return the PDF's text (pdftotext, pages first..last;
 * 0 = all), or NULL when rendering failed. */
static char *render_text(const quire_doc *doc, const char *dir, const char *name, int first,
                         int last, char *path, size_t n)
{
    quire_error err = {0};
    char cmd[1400];
    int st;

    snprintf(path, n, "%s/%s", dir, name);
    if (pdf_render(doc, path, &err) != 0) {
        fprintf(stderr, "pdf_render: %s\n", err.msg);
        return NULL;
    }
    if (first > 0)
        snprintf(cmd, sizeof cmd, "pdftotext -f %d -l %d '%s' - 2>/dev/null", first, last, path);
    else
        snprintf(cmd, sizeof cmd, "pdftotext '%s' - 2>/dev/null", path);
    return run(cmd, &st);
}

/* The PDF's page content, uncompressed (to look for fill colours). */
static char *content_of(const char *path)
{
    char cmd[1200];
    int st;

    snprintf(cmd, sizeof cmd,
             "qpdf --qdf --object-streams=disable --stream-data=uncompress '%s' - 2>/dev/null",
             path);
    return run(cmd, &st);
}

static int page_count(const char *path)
{
    char cmd[1200], *out, *p;
    int st, n = 0;

    snprintf(cmd, sizeof cmd, "pdfinfo '%s' 2>/dev/null", path);
    out = run(cmd, &st);
    if (out && (p = strstr(out, "Pages:")) != NULL)
        n = atoi(p + 6);
    free(out);
    return n;
}

#define GOOD_FILL "0.1 0.52 0.3 rg"
#define BAD_FILL "0.77 0.19 0.19 rg"

/* Tiles: the value in its unit, the change with its arrow, sign and colour. */
static void test_tiles(const char *dir)
{
    static const doc_tile up_good[] = {
        {"Customer count", "All customers, Apr 2024", 10000, 9700, QUIRE_UNIT_COUNT, -1, 1, 0, NULL, 0},
        {"Retention rate", NULL, 0.563, 0.548, QUIRE_UNIT_PERCENT, -1, 1, 0, NULL, 0},
        {"Email open rate", NULL, 0.2790, 0.2792, QUIRE_UNIT_PERCENT, -1, 1, 0, NULL, 0},
        {"Average order value", NULL, 227.71, NAN, QUIRE_UNIT_CURRENCY, -1, 1, 0, NULL, 0},
        {"Website visits", NULL, 6.4, 6.4, QUIRE_UNIT_NUMBER, -1, 1, 0, NULL, 0},
    };
    static const doc_tile up_bad[] = {
        {"Churn risk score", NULL, 79.5, 75.0, QUIRE_UNIT_SCORE, -1, 0, 0, NULL, 0},
    };
    static const doc_tile down_good[] = {
        {"Churn risk score", NULL, 70.0, 80.0, QUIRE_UNIT_SCORE, -1, 0, 0, NULL, 0},
    };
    static const doc_tile neither[] = {
        {"Net change", NULL, 5, 0, QUIRE_UNIT_COUNT, -1, -1, 0, NULL, 0},
    };
    doc_block b = {.kind = DOC_TILES, .ntiles = 5, .tiles = up_good};
    doc_section sec = {"Tiles", NULL, 1, &b};
    quire_doc doc = {.title = "Tiles", .nsections = 1, .sections = &sec};
    char path[600], *text, *pdf;

    text = render_text(&doc, dir, "tiles.pdf", 0, 0, path, sizeof path);
    CHECK_CONTAINS(text, "Customer count");
    CHECK_CONTAINS(text, "10,000");
    CHECK_CONTAINS(text, "\xE2\x96\xB2 +3.1%");     /* 10000 / 9700 - 1 */
    CHECK_CONTAINS(text, "56.3%");
    CHECK_CONTAINS(text, "\xE2\x96\xB2 +1.5 pts");  /* rates change in points */
    CHECK_CONTAINS(text, "\xE2\x96\xB6 0.0 pts");   /* rounds to no change: no sign */
    CHECK(occurrences(text, "\xE2\x88\x92") == 0);  /* no minus anywhere */
    CHECK_CONTAINS(text, "$227.71");
    CHECK_CONTAINS(text, "no previous period");
    CHECK_CONTAINS(text, "\xE2\x96\xB6 0.0%");
    CHECK_CONTAINS(text, "All customers, Apr 2024");
    free(text);
    pdf = content_of(path);
    CHECK(occurrences(pdf, GOOD_FILL) >= 1);        /* two rises that are good */
    CHECK(occurrences(pdf, BAD_FILL) == 0);
    free(pdf);

    b.tiles = up_bad;
    b.ntiles = 1;
    text = render_text(&doc, dir, "tiles-bad.pdf", 0, 0, path, sizeof path);
    CHECK_CONTAINS(text, "\xE2\x96\xB2 +6.0%");
    free(text);
    pdf = content_of(path);
    CHECK(occurrences(pdf, BAD_FILL) >= 1);
    CHECK(occurrences(pdf, GOOD_FILL) == 0);
    free(pdf);

    b.tiles = down_good;
    text = render_text(&doc, dir, "tiles-down.pdf", 0, 0, path, sizeof path);
    CHECK_CONTAINS(text, "\xE2\x96\xBC \xE2\x88\x92" "12.5%");
    free(text);
    pdf = content_of(path);
    CHECK(occurrences(pdf, GOOD_FILL) >= 1);
    CHECK(occurrences(pdf, BAD_FILL) == 0);
    free(pdf);

    /* No colour when neither direction is better; a change from zero is
     * the difference. */
    b.tiles = neither;
    text = render_text(&doc, dir, "tiles-neither.pdf", 0, 0, path, sizeof path);
    CHECK_CONTAINS(text, "\xE2\x96\xB2 +5");
    free(text);
    pdf = content_of(path);
    CHECK(occurrences(pdf, GOOD_FILL) == 0 && occurrences(pdf, BAD_FILL) == 0);
    free(pdf);

    /* Comparison lines under the value, in their tones, in place of the
     * change when the tile has none; the caption stays at the foot. */
    {
        static const doc_tile_line lines[] = {
            {"vs 2020-W04 \xE2\x96\xB2 +69.8%", 1}, {"Last 4 weeks: $431,405", 0},
            {"74.5% of target $150,000", -1}};
        doc_tile cmp[] = {
            {"Revenue", "All customers, 2021-W04", 111816, NAN, QUIRE_UNIT_CURRENCY, 0, 1, 1,
             lines, 3},
        };
        b.tiles = cmp;
        text = render_text(&doc, dir, "tiles-compare.pdf", 0, 0, path, sizeof path);
        CHECK_CONTAINS(text, "vs 2020-W04 \xE2\x96\xB2 +69.8%");
        CHECK_CONTAINS(text, "Last 4 weeks: $431,405");
        CHECK_CONTAINS(text, "74.5% of target $150,000");
        CHECK_CONTAINS(text, "All customers, 2021-W04");
        CHECK(strstr(text, "no previous period") == NULL); /* no change line */
        free(text);
        pdf = content_of(path);
        CHECK(occurrences(pdf, GOOD_FILL) >= 1 && occurrences(pdf, BAD_FILL) >= 1);
        free(pdf);
    }
}

/* A 300-row table: its header on every page, every row exactly once, a
 * totals row at the end, long text shortened with an ellipsis. */
static void test_table(const char *dir)
{
    enum { ROWS = 300, COLS = 3 };
    static const doc_column cols[COLS] = {
        {"Customer", 0, 0, QUIRE_UNIT_NUMBER}, {"Note", 0, 0, QUIRE_UNIT_NUMBER},
        {"Lifetime revenue", 1, 0, QUIRE_UNIT_CURRENCY}};
    static char store[ROWS + 1][COLS][160];
    static const char *cells[(ROWS + 1) * COLS];
    doc_block b = {.kind = DOC_TABLE};
    doc_section sec = {"Ledger", NULL, 1, &b};
    quire_doc doc = {.title = "Ledger", .nsections = 1, .sections = &sec};
    char path[600], *text;
    int i, pages, missing = 0, doubled = 0;

    for (i = 0; i < ROWS; i++) {
        snprintf(store[i][0], sizeof store[i][0], "C%04d", i + 1);
        snprintf(store[i][1], sizeof store[i][1], "%s",
                 i == 7 ? "An exceptionally long remark that cannot possibly fit in its column "
                          "however the widths are shared out ENDOFREMARK"
                        : "ok");
        snprintf(store[i][2], sizeof store[i][2], "$%d.00", 100 + i);
    }
    snprintf(store[ROWS][0], sizeof store[ROWS][0], "Total");
    store[ROWS][1][0] = '\0';
    snprintf(store[ROWS][2], sizeof store[ROWS][2], "$74,850.00");
    for (i = 0; i < (ROWS + 1) * COLS; i++)
        cells[i] = store[i / COLS][i % COLS];
    b.table = (doc_table){"Customer ledger", COLS, cols, ROWS, cells, 1, NULL};

    text = render_text(&doc, dir, "table.pdf", 0, 0, path, sizeof path);
    pages = page_count(path);
    CHECK(pages >= 6);
    for (i = 0; i < ROWS; i++) {
        char id[16];
        int k;

        snprintf(id, sizeof id, "C%04d\n", i + 1);
        k = occurrences(text, id);
        missing += k == 0;
        doubled += k > 1;
    }
    CHECK(missing == 0);
    CHECK(doubled == 0);
    CHECK(occurrences(text, "Lifetime revenue") == pages);
    CHECK(occurrences(text, "Customer ledger (continued)") == pages - 1);
    CHECK_CONTAINS(text, "$74,850.00");
    CHECK_CONTAINS(text, "An exceptionally long");
    CHECK_CONTAINS(text, "\xE2\x80\xA6");
    CHECK(occurrences(text, "ENDOFREMARK") == 0);
    free(text);

    /* Every page holds the header row once. */
    for (i = 1; i <= pages; i++) {
        char cmd[1400], *pg;
        int st;

        snprintf(cmd, sizeof cmd, "pdftotext -f %d -l %d '%s' - 2>/dev/null", i, i, path);
        pg = run(cmd, &st);
        CHECK(occurrences(pg, "Lifetime revenue") == 1);
        free(pg);
    }
}

/* Stacked, horizontal and heatmap charts with data draw their labels; empty
 * or all-zero charts of every kind say so instead. */
static void test_more_charts(const char *dir)
{
    static const char *const cats3[] = {"Feb 2024", "Mar 2024", "Apr 2024"};
    static const char *const segs[] = {"VIP", "Regular", "At Risk"};
    static const quire_rgb cols[] = {{0.42, 0.24, 0.60}, {0.12, 0.47, 0.71}, {1, 0.5, 0}};
    static const double counts[] = {2700, 2750, 2761, 2600, 2650, 2670, 1300, 1250, 1248};
    static const double hvals[] = {286.89, 99.33, 129.36};
    static const double moves[] = {2331, 0, 132, 266, 1999, 515, 132, 332, 499};
    static const double zeros[] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
    static const char *const one[] = {"Apr 2024"};
    doc_block data[] = {
        {.kind = DOC_CHART, .chart = {DOC_CHART_STACKED, "Stacked customers", NULL, NULL,
                                      "Customers", QUIRE_UNIT_COUNT, -1, 3, cats3, 3, segs,
                                      cols, counts, NULL}},
        {.kind = DOC_CHART, .chart = {DOC_CHART_HBAR, "Order value across", NULL, NULL, NULL,
                                      QUIRE_UNIT_CURRENCY, -1, 3, segs, 1, one, cols, hvals,
                                      NULL}},
        {.kind = DOC_CHART, .chart = {DOC_CHART_HEATMAP, "Migration matrix", NULL,
                                      "Segment in Apr 2024", NULL, QUIRE_UNIT_COUNT, -1, 3, segs,
                                      3, segs, NULL, moves, "Before"}},
    };
    doc_block empty[] = {
        {.kind = DOC_CHART, .chart = {DOC_CHART_STACKED, "Zero stack", NULL, NULL, NULL,
                                      QUIRE_UNIT_COUNT, -1, 3, cats3, 3, segs, cols, zeros,
                                      NULL}},
        {.kind = DOC_CHART, .chart = {DOC_CHART_HBAR, "Zero hbar", NULL, NULL, NULL,
                                      QUIRE_UNIT_CURRENCY, -1, 3, segs, 1, one, cols, zeros,
                                      NULL}},
        {.kind = DOC_CHART, .chart = {DOC_CHART_HEATMAP, "Zero heat", NULL, NULL, NULL,
                                      QUIRE_UNIT_COUNT, -1, 3, segs, 3, segs, NULL, zeros,
                                      NULL}},
        {.kind = DOC_CHART, .chart = {DOC_CHART_HEATMAP, "No rows", NULL, NULL, NULL,
                                      QUIRE_UNIT_COUNT, -1, 3, segs, 0, NULL, NULL, NULL,
                                      NULL}},
        {.kind = DOC_CHART, .chart = {DOC_CHART_LINE, "Zero line", NULL, NULL, NULL,
                                      QUIRE_UNIT_PERCENT, -1, 3, cats3, 3, segs, cols, zeros,
                                      NULL}},
    };
    doc_section sec = {"Charts", NULL, 3, data};
    quire_doc doc = {.title = "Charts", .nsections = 1, .sections = &sec};
    char path[600], *text;

    text = render_text(&doc, dir, "charts.pdf", 0, 0, path, sizeof path);
    CHECK(occurrences(text, "No data for this period") == 0);
    CHECK_CONTAINS(text, "Stacked customers");
    CHECK_CONTAINS(text, "Mar 2024");
    CHECK_CONTAINS(text, "$286.89");                  /* hbar: value at the bar's end */
    CHECK_CONTAINS(text, "2,331");                    /* heatmap: cell values */
    CHECK_CONTAINS(text, "1,999");
    CHECK_CONTAINS(text, "Before");                   /* the row title */
    CHECK_CONTAINS(text, "Segment in Apr 2024");
    free(text);

    sec.blocks = empty;
    sec.nblocks = 5;
    text = render_text(&doc, dir, "charts-empty.pdf", 0, 0, path, sizeof path);
    CHECK(occurrences(text, "No data for this period") == 5);
    CHECK_CONTAINS(text, "Zero heat");
    CHECK(occurrences(text, "$0") == 0);              /* no axis was drawn */
    free(text);
}

/* libharu's error codes by name: the message says what went wrong. */
static void test_error_names(void)
{
    CHECK_STR(pdf_error_name(0x1051), "HPDF_PAGE_INVALID_GMODE");
    CHECK_STR(pdf_error_name(0x1001), "HPDF_ARRAY_COUNT_ERR");
    CHECK_STR(pdf_error_name(0x1015), "HPDF_FAILD_TO_ALLOC_MEM"); /* sic */
    CHECK_STR(pdf_error_name(0x1083), "HPDF_INVALID_U3D_DATA");
    CHECK(pdf_error_name(0) == NULL);
    CHECK(pdf_error_name(0x9999) == NULL);
}

int main(void)
{
    char dir[64];
    char cmd[256];

    check_template(dir, sizeof dir, "/tmp/quire_pdf_");

    test_error_names();
    test_format();
    test_ticks();
    test_wrap();
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_render(dir);
    test_prepared(dir);
    test_failures(dir);
    test_odd_input(dir);
    test_tiles(dir);
    test_table(dir);
    test_more_charts(dir);
    if (!getenv("QUIRE_KEEP_TEST_PDF")) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", dir);
    } else {
        printf("pdf: kept %s\n", dir);
    }
    return check_done("pdf");
}
