/*
 * test_sample.c - the sample-data generator: determinism, the shape of the
 * seven CSV files, the behaviour the segment rule relies on, scaling to a
 * requested number of orders, and failures that leave nothing behind.
 */
#include "check.h"
#include "date.h"
#include "sample.h"

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------- helpers */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)n + 1);
        if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        }
        if (buf) {
            buf[n] = '\0';
            if (len)
                *len = (size_t)n;
        }
    }
    fclose(f);
    return buf;
}

/* dst = dir/name; the test's paths are short, so truncation is fatal. */
static void join(char *dst, size_t size, const char *dir, const char *name)
{
    int n = snprintf(dst, size, "%s/%s", dir, name);

    if (n < 0 || (size_t)n >= size) {
        fprintf(stderr, "path too long: %s/%s\n", dir, name);
        exit(1);
    }
}

static char *path_of(const char *dir, const char *name)
{
    static char buf[4][512];
    static int next;
    char *p = buf[next++ % 4];

    join(p, sizeof buf[0], dir, name);
    return p;
}

static int same_file(const char *a, const char *b)
{
    size_t na = 0, nb = 0;
    char *x = slurp(a, &na), *y = slurp(b, &nb);
    int same = x && y && na == nb && memcmp(x, y, na) == 0;

    free(x);
    free(y);
    return same;
}

/* Files in dir whose name ends in .tmp. */
static int count_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".tmp") == 0)
            n++;
    }
    closedir(d);
    return n;
}

/*
 * A tiny RFC 4180 reader: splits the next record at *pos into at most max
 * fields, unquoting in place. Returns the number of fields, 0 at the end.
 */
static int next_record(char *buf, size_t *pos, char **field, int max)
{
    char *p = buf + *pos, *w;
    int n = 0;

    if (!*p)
        return 0;
    for (;;) {
        w = p;
        if (n < max)
            field[n] = w;
        n++;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '"' && p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else if (!*p) {
                    break;
                } else {
                    *w++ = *p++;
                }
            }
        } else {
            while (*p && *p != ',' && *p != '\n')
                *w++ = *p++;
        }
        if (*p == ',') {
            *w = '\0';
            p++;
            continue;
        }
        if (*p == '\n')
            p++;
        *w = '\0';
        break;
    }
    *pos = (size_t)(p - buf);
    return n;
}

/* Days since 1970-01-01 of "YYYY-MM-DD" (or "YYYY-MM" as its first day). */
static long day_of(const char *s)
{
    int y = atoi(s), m = atoi(s + 5), d = strlen(s) >= 10 ? atoi(s + 8) : 1;

    return (long)quire_days_from_civil(y, m, d);
}

static int month_of(const char *s)
{
    return atoi(s) * 12 + atoi(s + 5) - 1;
}

static int is_amount(const char *s)
{
    size_t n = strlen(s), i;

    if (n < 4 || s[n - 3] != '.')
        return 0;
    for (i = 0; i < n; i++)
        if (i != n - 3 && (s[i] < '0' || s[i] > '9'))
            return 0;
    return atof(s) > 0;
}

static int all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* s is one of the NULL-terminated names, or empty when that is allowed. */
static int one_of(const char *s, const char *const *names, int empty_ok)
{
    if (!*s)
        return empty_ok;
    for (; *names; names++)
        if (strcmp(s, *names) == 0)
            return 1;
    return 0;
}

/* An integer lo..hi, or empty when that is allowed. */
static int int_in(const char *s, int lo, int hi, int empty_ok)
{
    if (!*s)
        return empty_ok;
    return all_digits(s) && strlen(s) <= 3 && atoi(s) >= lo && atoi(s) <= hi;
}

/* A date YYYY-MM-DD inside [from, to) and not before the customer's sign-up. */
static int day_ok(const char *s, long from, long to, long signup)
{
    long d;

    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    d = day_of(s);
    return d >= from && d < to && d >= signup;
}

static long count_lines(const char *path)
{
    size_t n = 0, i;
    char *b = slurp(path, &n);
    long lines = 0;

    for (i = 0; b && i < n; i++)
        lines += b[i] == '\n';
    free(b);
    return lines;
}

/* --------------------------------------------------------------- tests */

#define N 2000

/* A number with exactly `decimals` decimals (0.00 allowed). */
static int is_decimal(const char *s, int decimals)
{
    const char *dot = strchr(s, '.');

    if (!dot || dot == s || (int)strlen(dot + 1) != decimals)
        return 0;
    for (; *s; s++)
        if (s != dot && (*s < '0' || *s > '9'))
            return 0;
    return 1;
}

/*
 * surveys.csv, brand.csv, tickets.csv and spend.csv: headers, value domains,
 * dates inside the window and after sign-up, and volumes. rows is the number
 * of customer-months (engagement rows).
 */
static void test_feedback(const char *dir, const quire_sample_opts *o, const long *signup,
                          long rows)
{
    static const char *const segments[] = {"VIP", "Regular", "At Risk", "Inactive", "New"};
    char *sv = slurp(path_of(dir, "surveys.csv"), NULL);
    char *br = slurp(path_of(dir, "brand.csv"), NULL);
    char *tk = slurp(path_of(dir, "tickets.csv"), NULL);
    char *sp = slurp(path_of(dir, "spend.csv"), NULL);
    long win0 = day_of("2023-05-01"), win1 = day_of("2024-05-01");
    long n_sv = 0, n_br = 0, n_tk = 0, n_sp = 0, bad = 0, csat_only = 0, nps_only = 0;
    long no_feedback = 0;
    char *f[16], want[32];
    size_t pos = 0;
    int n;

    CHECK(sv && br && tk && sp);
    if (!sv || !br || !tk || !sp)
        goto out;

    n = next_record(sv, &pos, f, 16);
    CHECK(n == 4);
    CHECK_STR(f[0], "customer_id");
    CHECK_STR(f[1], "date");
    CHECK_STR(f[2], "csat");
    CHECK_STR(f[3], "nps");
    while ((n = next_record(sv, &pos, f, 16)) > 0) {
        long c = atol(f[0]);

        n_sv++;
        if (n != 4 || c < 1 || c > N || !day_ok(f[1], win0, win1, signup[c]) ||
            !int_in(f[2], 1, 5, 1) || !int_in(f[3], 0, 10, 1) || (!*f[2] && !*f[3])) {
            if (bad++ < 5)
                fprintf(stderr, "bad survey: %s,%s,%s,%s\n", f[0], f[1], f[2], f[3]);
            continue;
        }
        csat_only += !*f[3];
        nps_only += !*f[2];
    }
    CHECK(bad == 0);
    /* 6-14 % of customers answer a month */
    CHECK(n_sv >= rows / 20 && n_sv <= rows / 5);
    CHECK(csat_only > 0 && nps_only > 0);

    pos = 0;
    n = next_record(br, &pos, f, 16);
    CHECK(n == 5);
    CHECK_STR(f[0], "customer_id");
    CHECK_STR(f[1], "date");
    CHECK_STR(f[2], "awareness");
    CHECK_STR(f[3], "quality");
    CHECK_STR(f[4], "loyalty");
    while ((n = next_record(br, &pos, f, 16)) > 0) {
        long c = atol(f[0]);

        n_br++;
        if (n != 5 || c < 1 || c > N || !day_ok(f[1], win0, win1, signup[c]) ||
            !int_in(f[2], 1, 5, 0) || !int_in(f[3], 1, 5, 0) || !int_in(f[4], 1, 5, 0))
            bad++;
    }
    CHECK(bad == 0);
    CHECK(n_br >= rows / 50 && n_br <= rows / 12);

    pos = 0;
    n = next_record(tk, &pos, f, 16);
    CHECK(n == 4);
    CHECK_STR(f[0], "customer_id");
    CHECK_STR(f[1], "opened");
    CHECK_STR(f[2], "response_hours");
    CHECK_STR(f[3], "feedback");
    while ((n = next_record(tk, &pos, f, 16)) > 0) {
        long c = atol(f[0]);

        n_tk++;
        if (n != 4 || c < 1 || c > N || !day_ok(f[1], win0, win1, signup[c]) ||
            !is_decimal(f[2], 1) || atof(f[2]) < 0.5 || atof(f[2]) > 72 ||
            !int_in(f[3], 1, 5, 1)) {
            if (bad++ < 5)
                fprintf(stderr, "bad ticket: %s,%s,%s,%s\n", f[0], f[1], f[2], f[3]);
            continue;
        }
        no_feedback += !*f[3];
    }
    CHECK(bad == 0);
    CHECK(n_tk > 0);
    CHECK(no_feedback * 10 >= n_tk * 3 && no_feedback * 10 <= n_tk * 5); /* ~40 % */

    /* one row per segment and month, months in order, segments as listed */
    pos = 0;
    n = next_record(sp, &pos, f, 16);
    CHECK(n == 4);
    CHECK_STR(f[0], "month");
    CHECK_STR(f[1], "segment");
    CHECK_STR(f[2], "marketing");
    CHECK_STR(f[3], "retention");
    while ((n = next_record(sp, &pos, f, 16)) > 0) {
        int m = o->first_month + (int)(n_sp / 5);

        snprintf(want, sizeof want, "%04d-%02d-01", m / 12, m % 12 + 1);
        if (n != 4 || strcmp(f[0], want) != 0 || strcmp(f[1], segments[n_sp % 5]) != 0 ||
            !is_decimal(f[2], 2) || !is_decimal(f[3], 2))
            bad++;
        n_sp++;
    }
    CHECK(bad == 0);
    CHECK(n_sp == 5L * o->months);
out:
    free(sv);
    free(br);
    free(tk);
    free(sp);
}

static void test_files(const char *dir, const quire_sample_opts *o)
{
    char *cust = slurp(path_of(dir, "customers.csv"), NULL);
    char *ord = slurp(path_of(dir, "orders.csv"), NULL);
    char *eng = slurp(path_of(dir, "engagement.csv"), NULL);
    long *signup = calloc(N + 1, sizeof *signup);
    int *smonth = calloc(N + 1, sizeof *smonth);
    int *per_month = calloc((size_t)o->months, sizeof *per_month);
    unsigned short *mask = calloc(N + 1, sizeof *mask);
    long win0 = day_of("2023-05-01"), win1 = day_of("2024-05-01");
    long ids = 0, bad = 0, prev_day = 0, prev_id = 0, norders = 0, rows = 0, expect_rows = 0;
    long inactive = 0, every_month = 0, quoted_comma = 0, non_ascii = 0, open_bad = 0;
    long incomplete = 0, no_channel = 0, app_pref = 0, app_other = 0, sessions_app = 0,
         sessions_other = 0, clicked = 0;
    static const char *const ages[] = {"18-24", "25-34", "35-44", "45-54", "55-64", "65+", NULL};
    static const char *const genders[] = {"female", "male", "non-binary", NULL};
    static const char *const regions[] = {"North", "South", "East", "West", NULL};
    static const char *const incomes[] = {"under 25k", "25-50k", "50-100k", "100k+", NULL};
    static const char *const channels[] = {"email", "phone", "sms", "social", "app", NULL};
    static const char *const acquired[] = {"search", "social", "referral", "email", "display",
                                           NULL};
    unsigned char *prefers_app = calloc(N + 1, 1);
    char *f[16];
    size_t pos = 0;
    int n, m;

    CHECK(cust && ord && eng && signup && smonth && per_month && mask && prefers_app);
    if (!cust || !ord || !eng || !signup || !smonth || !per_month || !mask || !prefers_app)
        goto out;

    /* customers.csv */
    n = next_record(cust, &pos, f, 16);
    CHECK(n == 11);
    CHECK_STR(f[0], "customer_id");
    CHECK_STR(f[1], "name");
    CHECK_STR(f[2], "email");
    CHECK_STR(f[3], "signup_date");
    CHECK_STR(f[4], "age_band");
    CHECK_STR(f[5], "gender");
    CHECK_STR(f[6], "region");
    CHECK_STR(f[7], "income_band");
    CHECK_STR(f[8], "preferred_channel");
    CHECK_STR(f[9], "acquisition_channel");
    CHECK_STR(f[10], "acquisition_cost");
    while ((n = next_record(cust, &pos, f, 16)) > 0) {
        long id = atol(f[0]), sd;
        const unsigned char *s;

        ids++;
        if (n != 11 || id != ids || !all_digits(f[0]) || !*f[1] || !strchr(f[2], '@') ||
            strlen(f[3]) != 10 || !one_of(f[4], ages, 1) || !one_of(f[5], genders, 1) ||
            !one_of(f[6], regions, 0) || !one_of(f[7], incomes, 1) ||
            !one_of(f[8], channels, 1) || !one_of(f[9], acquired, 0) || !is_amount(f[10]) ||
            atof(f[10]) < 5 || atof(f[10]) > 200) {
            if (bad++ < 5)
                fprintf(stderr, "bad customer %s: %s,%s,%s,%s,%s,%s,%s\n", f[0], f[4], f[5], f[6],
                        f[7], f[8], f[9], f[10]);
            continue;
        }
        incomplete += !*f[4] || !*f[5] || !*f[7];
        no_channel += !*f[8];
        prefers_app[id] = strcmp(f[8], "app") == 0;
        for (s = (const unsigned char *)f[2]; *s; s++)
            bad += *s >= 0x80;
        for (s = (const unsigned char *)f[1]; *s; s++)
            if (*s >= 0x80) {
                non_ascii++;
                break;
            }
        quoted_comma += strchr(f[1], ',') != NULL;
        sd = day_of(f[3]);
        signup[id] = sd;
        smonth[id] = month_of(f[3]);
        if (sd >= win0 && sd < win1)
            per_month[month_of(f[3]) - o->first_month]++;
        expect_rows += sd < win0 ? o->months : (QUIRE_SAMPLE_MONTH(2024, 5) - month_of(f[3]));
    }
    CHECK(ids == N);
    CHECK(bad == 0);
    CHECK(quoted_comma > 0);
    CHECK(non_ascii > 0 && non_ascii < N / 2);
    /* docs/sample-data.md: 10-20 % miss a demographic field, ~10 % the channel */
    CHECK(incomplete >= N / 10 && incomplete <= N / 5);
    CHECK(no_channel >= N / 20 && no_channel <= N * 3 / 20);
    for (m = 0; m < o->months; m++)
        CHECK(per_month[m] > 0);

    /* orders.csv */
    pos = 0;
    bad = 0;
    n = next_record(ord, &pos, f, 16);
    CHECK(n == 4);
    CHECK_STR(f[0], "order_id");
    CHECK_STR(f[1], "customer_id");
    CHECK_STR(f[2], "order_date");
    CHECK_STR(f[3], "amount");
    while ((n = next_record(ord, &pos, f, 16)) > 0) {
        long id = atol(f[0]), c = atol(f[1]), d = day_of(f[2]);

        norders++;
        if (n != 4 || id <= prev_id || c < 1 || c > N || d < win0 || d >= win1 || d < signup[c] ||
            d < prev_day || !is_amount(f[3])) {
            if (bad++ < 5)
                fprintf(stderr, "bad order: %s,%s,%s,%s\n", f[0], f[1], f[2], f[3]);
            continue;
        }
        prev_id = id;
        prev_day = d;
        mask[c] |= (unsigned short)(1u << (month_of(f[2]) - o->first_month));
    }
    CHECK(norders > 0);
    CHECK(bad == 0);
    for (ids = 1; ids <= N; ids++) {
        if (signup[ids] < day_of("2023-12-01") && (mask[ids] & 0xF00) == 0)
            inactive++;
        if (mask[ids] == 0xFFF)
            every_month++;
    }
    CHECK(inactive > 0);     /* no orders in the last four months */
    CHECK(every_month > 0);  /* an order in every month */

    /* engagement.csv */
    pos = 0;
    bad = 0;
    n = next_record(eng, &pos, f, 16);
    CHECK(n == 7);
    CHECK_STR(f[0], "customer_id");
    CHECK_STR(f[1], "month");
    CHECK_STR(f[2], "emails_sent");
    CHECK_STR(f[3], "emails_opened");
    CHECK_STR(f[4], "emails_clicked");
    CHECK_STR(f[5], "web_visits");
    CHECK_STR(f[6], "app_sessions");
    while ((n = next_record(eng, &pos, f, 16)) > 0) {
        long c = atol(f[0]);
        int mo = month_of(f[1]);

        rows++;
        if (n != 7 || c < 1 || c > N || strlen(f[1]) != 7 || mo < o->first_month ||
            mo >= o->first_month + o->months || mo < smonth[c] || !all_digits(f[2]) ||
            !all_digits(f[3]) || !all_digits(f[4]) || !all_digits(f[5]) || !all_digits(f[6])) {
            bad++;
            continue;
        }
        open_bad += atol(f[3]) > atol(f[2]) || atol(f[4]) > atol(f[3]);
        clicked += atol(f[4]);
        if (prefers_app[c]) {
            app_pref++;
            sessions_app += atol(f[6]);
        } else {
            app_other++;
            sessions_other += atol(f[6]);
        }
    }
    CHECK(bad == 0);
    CHECK(open_bad == 0);
    CHECK(clicked > 0);
    CHECK(rows == expect_rows);
    /* app users open the app more than the others, on average */
    CHECK(app_pref > 0 && app_other > 0 &&
          sessions_app * app_other > 2 * sessions_other * app_pref);
    test_feedback(dir, o, signup, rows);
out:
    free(cust);
    free(ord);
    free(eng);
    free(signup);
    free(smonth);
    free(per_month);
    free(mask);
    free(prefers_app);
}

static void test_determinism(const char *top)
{
    static const char *const names[] = {"customers.csv", "orders.csv",  "engagement.csv",
                                        "surveys.csv",   "brand.csv",   "tickets.csv",
                                        "spend.csv"};
    quire_sample_opts o;
    quire_error err = {0};
    char a[512], b[512], c[512];
    int i;

    join(a, sizeof a, top, "a");
    join(b, sizeof b, top, "b/nested");
    join(c, sizeof c, top, "c");
    quire_sample_defaults(&o);
    o.customers = N;
    o.out_dir = a;
    CHECK(quire_sample_write(&o, &err) == 0);
    o.out_dir = b;
    CHECK(quire_sample_write(&o, &err) == 0);
    for (i = 0; i < 7; i++)
        CHECK(same_file(path_of(a, names[i]), path_of(b, names[i])));
    CHECK(count_tmp(a) == 0);

    /* another seed, other data */
    o.out_dir = c;
    o.seed = 7;
    CHECK(quire_sample_write(&o, &err) == 0);
    CHECK(!same_file(path_of(a, "orders.csv"), path_of(c, "orders.csv")));

    /* writing again over existing files works */
    o.out_dir = a;
    o.seed = 42;
    CHECK(quire_sample_write(&o, &err) == 0);
    CHECK(same_file(path_of(a, "orders.csv"), path_of(b, "orders.csv")));

    quire_sample_defaults(&o);
    o.customers = N;
    test_files(a, &o);
}

static void test_order_target(const char *top)
{
    quire_sample_opts o;
    quire_error err = {0};
    char d[512];
    long n;

    join(d, sizeof d, top, "scaled");
    quire_sample_defaults(&o);
    o.customers = N;
    o.orders = 50000;
    o.out_dir = d;
    CHECK(quire_sample_write(&o, &err) == 0);
    n = count_lines(path_of(d, "orders.csv")) - 1;
    CHECK(n >= 49000 && n <= 51000);

    o.orders = 5000;
    CHECK(quire_sample_write(&o, &err) == 0);
    n = count_lines(path_of(d, "orders.csv")) - 1;
    CHECK(n >= 4900 && n <= 5100);
}

static void test_errors(const char *top)
{
    quire_sample_opts o;
    quire_error err = {0};
    char blocker[512], d[512];
    struct rlimit old, small;
    FILE *fp;

    quire_sample_defaults(&o);
    o.customers = 0;
    CHECK(quire_sample_write(&o, &err) == -1);
    CHECK(err.code == QUIRE_EXIT_USAGE);
    CHECK_CONTAINS(err.msg, "customers");

    quire_sample_defaults(&o);
    o.months = 0;
    err.code = 0;
    CHECK(quire_sample_write(&o, &err) == -1);
    CHECK(err.code == QUIRE_EXIT_USAGE);
    CHECK_CONTAINS(err.msg, "months");
    o.months = 121;
    CHECK(quire_sample_write(&o, &err) == -1);
    CHECK(err.code == QUIRE_EXIT_USAGE);

    quire_sample_defaults(&o);
    o.orders = -1;
    CHECK(quire_sample_write(&o, &err) == -1);
    CHECK(err.code == QUIRE_EXIT_USAGE);

    /* a folder that cannot be created: its parent is a regular file */
    join(blocker, sizeof blocker, top, "blocker");
    fp = fopen(blocker, "w");
    CHECK(fp != NULL);
    if (fp)
        fclose(fp);
    join(d, sizeof d, blocker, "out");
    quire_sample_defaults(&o);
    o.customers = 100;
    o.out_dir = d;
    err.code = 0;
    CHECK(quire_sample_write(&o, &err) == -1);
    CHECK(err.code == QUIRE_EXIT_DELIVERY);
    CHECK_CONTAINS(err.msg, d);
    CHECK_CONTAINS(err.msg, "Not a directory");

    /* a folder that exists but refuses new files (when not root) */
    if (geteuid() != 0) {
        join(d, sizeof d, top, "readonly");
        CHECK(mkdir(d, 0555) == 0);
        o.out_dir = d;
        err.code = 0;
        CHECK(quire_sample_write(&o, &err) == -1);
        CHECK(err.code == QUIRE_EXIT_DELIVERY);
        CHECK_CONTAINS(err.msg, d);
        CHECK_CONTAINS(err.msg, "Permission denied");
        chmod(d, 0755);
    }

    /* a write that fails half-way (file size limit) leaves no .tmp behind */
    join(d, sizeof d, top, "full");
    o.out_dir = d;
    o.customers = N;
    CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
    small = old;
    small.rlim_cur = 200000;
    signal(SIGXFSZ, SIG_IGN);
    CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);
    err.code = 0;
    CHECK(quire_sample_write(&o, &err) == -1);
    CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
    signal(SIGXFSZ, SIG_DFL);
    CHECK(err.code == QUIRE_EXIT_DELIVERY);
    CHECK_CONTAINS(err.msg, d);
    CHECK(count_tmp(d) == 0);
    CHECK(access(path_of(d, "orders.csv"), F_OK) != 0);
}

int main(void)
{
    char top[64];
    char cmd[128];

    check_template(top, sizeof top, "/tmp/quire-sample-");

    if (!mkdtemp(top)) {
        perror("mkdtemp");
        return 1;
    }
    test_determinism(top);
    test_order_target(top);
    test_errors(top);

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", top);
    return check_done("sample");
}
