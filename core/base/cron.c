/*
 * cron.c - parsing cron expressions and finding the next fire time.
 *
 * The next fire is found on the local calendar first (the next wall time the
 * fields match), then mapped to instants in the zone, by Debian cron's DST
 * rules: a fixed-time job (no '*' starting its minute or hour field) whose
 * wall time falls in a gap fires at the end of the gap, and fires once at the
 * first of two instants when the time occurs twice; a job with '*' in its
 * minute or hour field follows the wall clock (nothing in a gap, both passes
 * of a repeated hour).
 */
#include "cron.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "date.h"
#include "util.h"

/* ------------------------------------------------------------ parsing */

typedef struct field_def {
    const char *name;
    int lo, hi;
    const char *const *names; /* names[i] is the value lo + i, or NULL */
} field_def;

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                          "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const dow_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static const field_def fields[5] = {
    {"minute", 0, 59, NULL},
    {"hour", 0, 23, NULL},
    {"day-of-month", 1, 31, NULL},
    {"month", 1, 12, month_names},
    {"day-of-week", 0, 7, dow_names},
};

/* A number or a name at *p; advances *p. Returns 0 or -1 with msg set. */
static int field_value(const field_def *f, const char **p, int *v, char *msg, size_t n)
{
    const char *s = *p;

    if (isdigit((unsigned char)*s)) {
        long x = 0;
        while (isdigit((unsigned char)*s) && x < 1000)
            x = x * 10 + (*s++ - '0');
        if (isdigit((unsigned char)*s) || x < f->lo || x > f->hi) {
            snprintf(msg, n, "%ld is out of range %d-%d", x, f->lo, f->hi);
            return -1;
        }
        *v = (int)x;
        *p = s;
        return 0;
    }
    if (f->names && isalpha((unsigned char)s[0]) && isalpha((unsigned char)s[1]) &&
        isalpha((unsigned char)s[2]) && !isalpha((unsigned char)s[3])) {
        int i, count = f->names == month_names ? 12 : 7;
        for (i = 0; i < count; i++)
            if (strncasecmp(s, f->names[i], 3) == 0) {
                *v = f->lo + i;
                *p = s + 3;
                return 0;
            }
    }
    if (f->names)
        snprintf(msg, n, "expected a number %d-%d or a name such as \"%s\"", f->lo, f->hi,
                 f->names[0]);
    else
        snprintf(msg, n, "expected a number %d-%d", f->lo, f->hi);
    return -1;
}

/* Parse one field's text (len bytes at s) into bits. */
static int parse_field(const field_def *f, const char *s, size_t len, uint64_t *bits, char *msg,
                       size_t n)
{
    char *text = xstrndup(s, len);
    const char *p = text;
    int rc = -1;

    *bits = 0;
    for (;;) {
        int a, b, step = 1, v;
        if (*p == '*') {
            a = f->lo;
            b = f->hi;
            p++;
        } else {
            if (field_value(f, &p, &a, msg, n))
                goto done;
            b = a;
            if (*p == '-') {
                p++;
                if (field_value(f, &p, &b, msg, n))
                    goto done;
                if (b < a) {
                    snprintf(msg, n, "the range %d-%d runs backwards", a, b);
                    goto done;
                }
            } else if (*p == '/') {
                snprintf(msg, n, "a step needs a range or \"*\" before it (e.g. \"*/%s\")", p + 1);
                goto done;
            }
        }
        if (*p == '/') {
            long st = 0;
            p++;
            if (!isdigit((unsigned char)*p)) {
                snprintf(msg, n, "expected a step number after \"/\"");
                goto done;
            }
            while (isdigit((unsigned char)*p) && st <= 1000000)
                st = st * 10 + (*p++ - '0');
            /* As in Vixie cron, any step from 1 up is valid; one larger than
             * the range keeps its first value alone. */
            if (st < 1 || st > 1000000) {
                snprintf(msg, n, "the step must be a whole number from 1 up");
                goto done;
            }
            step = st > 100 ? 100 : (int)st;
        }
        for (v = a; v <= b; v += step)
            *bits |= (uint64_t)1 << v;
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p) {
            snprintf(msg, n, "unexpected \"%c\"", *p);
            goto done;
        }
        break;
    }
    rc = 0;
done:
    free(text);
    return rc;
}

static const struct {
    const char *name, *expansion;
} macros[] = {
    {"@yearly", "0 0 1 1 *"},  {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"},  {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

int cron_parse(const char *text, cron_expr *c, int *col, quire_error *err)
{
    const char *p = text, *start[5];
    size_t len[5];
    int nf = 0, i;
    char msg[256];

    memset(c, 0, sizeof *c);
    if (col)
        *col = 0;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '@') {
        size_t k, n = strcspn(p, " \t");
        const char *q = p + n;
        while (*q == ' ' || *q == '\t')
            q++;
        for (k = 0; k < sizeof macros / sizeof macros[0]; k++)
            if (strlen(macros[k].name) == n && strncasecmp(p, macros[k].name, n) == 0 && !*q)
                return cron_parse(macros[k].expansion, c, NULL, err);
        if (col)
            *col = (int)(p - text);
        return quire_err(err, QUIRE_EXIT_USAGE,
                         "unknown \"%.*s\"; expected five fields or one of @hourly, @daily, "
                         "@weekly, @monthly, @yearly",
                         (int)n, p);
    }
    while (*p) {
        if (nf == 5) {
            if (col)
                *col = (int)(p - text);
            return quire_err(err, QUIRE_EXIT_USAGE,
                             "too many fields: a cron expression has five (minute hour "
                             "day-of-month month day-of-week)");
        }
        start[nf] = p;
        len[nf] = strcspn(p, " \t");
        p += len[nf];
        nf++;
        while (*p == ' ' || *p == '\t')
            p++;
    }
    if (nf < 5) {
        if (col)
            *col = (int)strlen(text);
        return quire_err(err, QUIRE_EXIT_USAGE,
                         "%d field%s, expected five (minute hour day-of-month month day-of-week)",
                         nf, nf == 1 ? "" : "s");
    }
    for (i = 0; i < 5; i++) {
        uint64_t bits;
        if (parse_field(&fields[i], start[i], len[i], &bits, msg, sizeof msg)) {
            if (col)
                *col = (int)(start[i] - text);
            return quire_err(err, QUIRE_EXIT_USAGE, "%s field \"%.*s\": %s", fields[i].name,
                             (int)len[i], start[i], msg);
        }
        switch (i) {
        case 0: c->minute = bits; break;
        case 1: c->hour = (uint32_t)bits; break;
        case 2: c->dom = (uint32_t)bits; break;
        case 3: c->month = (uint32_t)bits; break;
        default:
            if (bits & (1u << 7))
                bits = (bits | 1u) & 0x7f; /* 7 is Sunday too */
            c->dow = (uint32_t)bits;
        }
    }
    c->dom_star = start[2][0] == '*';
    c->dow_star = start[4][0] == '*';
    c->fixed_time = start[0][0] != '*' && start[1][0] != '*';
    {
        /* An expression such as "0 0 30 2 *" never fires. */
        int m, ok = 0;
        for (m = 1; m <= 12 && !ok; m++) {
            int d;
            if (!(c->month >> m & 1))
                continue;
            for (d = 1; d <= 31 && !ok; d++)
                if (c->dom >> d & 1 && d <= (m == 2 ? 29 : days_in_month(2001, m)))
                    ok = 1;
        }
        if (!ok && !c->dow_star && c->dom_star)
            ok = 1;
        if (!ok && !c->dow_star && !c->dom_star)
            ok = 1; /* the day of week alone can match */
        if (!ok) {
            if (col)
                *col = (int)(start[2] - text);
            return quire_err(err, QUIRE_EXIT_USAGE,
                             "day-of-month field \"%.*s\": no month of the month field has "
                             "such a day, so the expression never fires",
                             (int)len[2], start[2]);
        }
    }
    return 0;
}

/* ------------------------------------------------------------ calendar */

void wall_split(int64_t wall, int *y, int *mo, int *d, int *h, int *mi, int *s)
{
    int64_t days = wall / 86400, rem = wall % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    civil_from_days((int32_t)days, y, mo, d);
    *h = (int)(rem / 3600);
    *mi = (int)(rem / 60 % 60);
    *s = (int)(rem % 60);
}

static int64_t wall_make(int y, int mo, int d, int h, int mi, int s)
{
    return (int64_t)days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

int cron_day_matches(const cron_expr *c, int y, int m, int d)
{
    int dow = (int)(((int64_t)days_from_civil(y, m, d) % 7 + 11) % 7); /* 1970-01-01: Thu */
    int dom_ok = (int)(c->dom >> d & 1), dow_ok = (int)(c->dow >> dow & 1);

    if (c->dom_star || c->dow_star)
        return dom_ok && dow_ok;
    return dom_ok || dow_ok;
}

/* The first wall minute >= w that the fields match, into *out; 0, or -1
 * when there is none within 30 years. (A wall time before 1970 is
 * negative: the result is not the error.) */
static int next_wall(const cron_expr *c, int64_t w, int64_t *out)
{
    int y, mo, d, h, mi, s, ylimit;

    if (w % 60)
        w += 60 - ((w % 60) + 60) % 60;
    wall_split(w, &y, &mo, &d, &h, &mi, &s);
    ylimit = y + 30;
    while (y <= ylimit) {
        if (!(c->month >> mo & 1) || d > days_in_month(y, mo)) {
            d = 1, h = 0, mi = 0;
            if (++mo > 12)
                mo = 1, y++;
            continue;
        }
        if (!cron_day_matches(c, y, mo, d)) {
            d++, h = 0, mi = 0;
            continue;
        }
        if (!(c->hour >> h & 1)) {
            h++, mi = 0;
            if (h > 23)
                h = 0, d++;
            continue;
        }
        if (!(c->minute >> mi & 1)) {
            mi++;
            if (mi > 59) {
                mi = 0, h++;
                if (h > 23)
                    h = 0, d++;
            }
            continue;
        }
        *out = wall_make(y, mo, d, h, mi, 0);
        return 0;
    }
    return -1;
}

/* ------------------------------------------------------------ zones */

static char *current_zone;

static const char *zoneinfo_dir(void)
{
    const char *d = getenv("TZDIR");
    return d && *d ? d : "/usr/share/zoneinfo";
}

int tz_check(const char *zone, quire_error *err)
{
    struct stat st;
    char *path;
    int ok;

    if (!zone || !*zone || zone[0] == '/' || zone[0] == ':' || strstr(zone, "..") ||
        strspn(zone, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-") !=
            strlen(zone))
        return quire_err(err, QUIRE_EXIT_USAGE,
                         "\"%s\" is not a time zone name (an IANA name such as Europe/Berlin)",
                         zone ? zone : "");
    path = xasprintf("%s/%s", zoneinfo_dir(), zone);
    ok = stat(path, &st) == 0 && S_ISREG(st.st_mode);
    free(path);
    if (!ok)
        return quire_err(err, QUIRE_EXIT_USAGE,
                         "unknown time zone \"%s\" (not in %s; is the tzdata package installed?)",
                         zone, zoneinfo_dir());
    return 0;
}

void tz_use(const char *zone)
{
    if (current_zone && strcmp(current_zone, zone) == 0)
        return;
    free(current_zone);
    current_zone = xstrdup(zone);
    setenv("TZ", zone, 1);
    tzset();
}

long tz_offset(time_t t)
{
    struct tm tm;
    if (!localtime_r(&t, &tm))
        return 0;
    return tm.tm_gmtoff;
}

int tz_instants(int64_t wall, time_t out[2])
{
    long a = tz_offset((time_t)(wall - 43200)), b = tz_offset((time_t)(wall + 43200));
    int n = 0;
    time_t u;

    u = (time_t)(wall - a);
    if (tz_offset(u) == a)
        out[n++] = u;
    if (b != a) {
        u = (time_t)(wall - b);
        if (tz_offset(u) == b)
            out[n++] = u;
    }
    if (n == 2 && out[1] < out[0]) {
        u = out[0];
        out[0] = out[1];
        out[1] = u;
    }
    return n;
}

/* In a gap at wall: the instant the later offset starts. */
static time_t gap_end(int64_t wall)
{
    long a = tz_offset((time_t)(wall - 43200)), b = tz_offset((time_t)(wall + 43200));
    time_t lo = (time_t)(wall - b), hi = (time_t)(wall - a);

    /* off(lo) is a, off(hi) is b: find the first instant with offset b. */
    if (lo > hi) {
        time_t t = lo;
        lo = hi;
        hi = t;
    }
    while (hi - lo > 1) {
        time_t mid = lo + (hi - lo) / 2;
        if (tz_offset(mid) == b)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

/* ------------------------------------------------------------ next fire */

/* The Unix times of 0001-01-01 and 9999-12-31T23:59:59 UTC: cron handles
 * times between them (with a margin for offsets and its 30-year search). */
#define CRON_TIME_MIN (-62135596800LL + 2 * 86400)
#define CRON_TIME_MAX (253402300799LL - 31LL * 366 * 86400)

int cron_next(const cron_expr *c, const char *zone, time_t after, cron_fire *out)
{
    int64_t w, best_wall = 0;
    time_t best = 0;
    cron_note best_note = CRON_ON_TIME;
    int found = 0;

    if ((int64_t)after < CRON_TIME_MIN || (int64_t)after > CRON_TIME_MAX)
        return -1; /* no overflow, no search through millennia */
    tz_use(zone);
    /* A fire after `after` can stand for a wall time a little before after's
     * own (the second pass of a repeated hour): start three hours early. */
    w = (int64_t)after + tz_offset(after) - 3 * 3600;
    for (;;) {
        time_t at[2];
        int n, i;

        if (next_wall(c, w, &w))
            break;
        /* Offsets are within -12h..+14h of UTC: past this no earlier fire. */
        if (found && w - 14 * 3600 > (int64_t)best)
            break;
        n = tz_instants(w, at);
        if (n == 0) {
            if (c->fixed_time) {
                at[0] = gap_end(w);
                if (at[0] > after && (!found || at[0] < best))
                    best = at[0], best_wall = w, best_note = CRON_SHIFTED, found = 1;
            }
        } else {
            for (i = 0; i < (c->fixed_time ? 1 : n); i++) {
                cron_note note = n == 1 ? CRON_ON_TIME : c->fixed_time ? CRON_ONCE
                                 : i == 0 ? CRON_ON_TIME : CRON_REPEATED;
                if (at[i] > after && (!found || at[i] < best))
                    best = at[i], best_wall = w, best_note = note, found = 1;
            }
        }
        w += 60;
    }
    if (!found)
        return -1;
    out->at = best;
    out->wall = best_wall;
    out->note = best_note;
    return 0;
}

/* ------------------------------------------------------------ fires in a range */

/* Offsets are within -12h..+14h of UTC; a margin for old local mean times. */
#define OFFSET_SPAN (16 * 3600)

typedef struct firebuf {
    cron_fire *v;
    size_t n, cap;
} firebuf;

static void fb_add(firebuf *b, time_t at, int64_t wall, cron_note note)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 256;
        b->v = xrealloc(b->v, b->cap * sizeof *b->v);
    }
    b->v[b->n].at = at;
    b->v[b->n].wall = wall;
    b->v[b->n].note = note;
    b->n++;
}

static int fire_cmp(const void *pa, const void *pb)
{
    const cron_fire *a = pa, *b = pb;
    if (a->at != b->at)
        return a->at < b->at ? -1 : 1;
    return a->wall < b->wall ? -1 : a->wall > b->wall;
}

/* Sort by instant; of fires at the same instant keep the one of the
 * earliest wall time, as cron_next() does. */
static void fb_settle(firebuf *b)
{
    size_t i, k = 0;
    if (b->n == 0)
        return;
    qsort(b->v, b->n, sizeof *b->v, fire_cmp);
    for (i = 0; i < b->n; i++)
        if (k == 0 || b->v[i].at != b->v[k - 1].at)
            b->v[k++] = b->v[i];
    b->n = k;
}

static int popcount64(uint64_t x)
{
    int n = 0;
    for (; x; x &= x - 1)
        n++;
    return n;
}

/* Does the zone keep one offset through every instant a wall time of the
 * day starting at wall `base` can stand for? *off is that offset. Checked
 * every six hours: no zone changes twice within that. */
static int day_steady(int64_t base, long *off)
{
    int64_t t;
    *off = tz_offset((time_t)(base - OFFSET_SPAN));
    for (t = base - OFFSET_SPAN + 6 * 3600; t < base + 86400 + OFFSET_SPAN; t += 6 * 3600)
        if (tz_offset((time_t)t) != *off)
            return 0;
    return tz_offset((time_t)(base + 86400 + OFFSET_SPAN)) == *off;
}

/* The fires whose wall time is on day `day` (days since 1970-01-01, local),
 * by the rules cron_next() applies, those in (after, until] added to b
 * (unsorted when the day has a change of offset). */
static void day_fires(const cron_expr *c, int32_t day, time_t after, time_t until, firebuf *b)
{
    int64_t base = (int64_t)day * 86400;
    long off;
    int h, mi, steady = day_steady(base, &off);

    for (h = 0; h < 24; h++) {
        if (!(c->hour >> h & 1))
            continue;
        for (mi = 0; mi < 60; mi++) {
            int64_t w = base + h * 3600 + mi * 60;
            time_t at[2];
            int n, i;
            if (!(c->minute >> mi & 1))
                continue;
            if (steady) {
                at[0] = (time_t)(w - off);
                if (at[0] > after && at[0] <= until)
                    fb_add(b, at[0], w, CRON_ON_TIME);
                continue;
            }
            n = tz_instants(w, at);
            if (n == 0) {
                if (c->fixed_time) {
                    at[0] = gap_end(w);
                    if (at[0] > after && at[0] <= until)
                        fb_add(b, at[0], w, CRON_SHIFTED);
                }
                continue;
            }
            for (i = 0; i < (c->fixed_time ? 1 : n); i++) {
                cron_note note = n == 1 ? CRON_ON_TIME : c->fixed_time ? CRON_ONCE
                                 : i == 0 ? CRON_ON_TIME : CRON_REPEATED;
                if (at[i] > after && at[i] <= until)
                    fb_add(b, at[i], w, note);
            }
        }
    }
}

static int day_matches(const cron_expr *c, int32_t day)
{
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    return (c->month >> m & 1) && cron_day_matches(c, y, m, d);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int64_t cron_between(const cron_expr *c, const char *zone, time_t after, time_t until,
                     cron_fire *out, size_t keep, size_t *kept)
{
    firebuf b = {0};
    int64_t total = 0, lo, hi, day;
    int per_day = popcount64(c->hour & 0xffffff) * popcount64(c->minute & 0x0fffffffffffffffULL);
    int hmin = 0, hmax = 23, mmin = 0, mmax = 59;

    if (kept)
        *kept = 0;
    if ((int64_t)after < CRON_TIME_MIN || (int64_t)until > CRON_TIME_MAX ||
        (int64_t)after > CRON_TIME_MAX || (int64_t)until < CRON_TIME_MIN)
        return -1;
    if (until <= after || per_day == 0)
        return 0;
    tz_use(zone);
    while (!(c->hour >> hmin & 1))
        hmin++;
    while (!(c->hour >> hmax & 1))
        hmax--;
    while (!(c->minute >> mmin & 1))
        mmin++;
    while (!(c->minute >> mmax & 1))
        mmax--;
    /* The local days whose wall times can stand for an instant in range. */
    lo = floor_div((int64_t)after - OFFSET_SPAN, 86400);
    hi = floor_div((int64_t)until + OFFSET_SPAN, 86400);

    /* The count: a day wholly inside the range, with one offset all
     * through, has every one of its wall times once; the others are listed. */
    for (day = lo; day <= hi; day++) {
        int64_t base = day * 86400;
        long off;
        if (!day_matches(c, (int32_t)day))
            continue;
        if (base + hmin * 3600 + mmin * 60 - OFFSET_SPAN > (int64_t)after &&
            base + hmax * 3600 + mmax * 60 + OFFSET_SPAN <= (int64_t)until &&
            day_steady(base, &off)) {
            total += per_day;
            continue;
        }
        day_fires(c, (int32_t)day, after, until, &b);
    }
    fb_settle(&b);
    total += (int64_t)b.n;

    /* The last `keep`: days from the end back, until no earlier day can
     * hold a later fire than the keep-th last found. */
    if (keep && out) {
        b.n = 0;
        for (day = hi; day >= lo; day--) {
            if (!day_matches(c, (int32_t)day))
                continue;
            day_fires(c, (int32_t)day, after, until, &b);
            if (b.n >= keep) {
                fb_settle(&b);
                /* Earlier days' fires are before (day * 86400 + span). */
                if (b.n >= keep && (int64_t)b.v[b.n - keep].at >= day * 86400 + OFFSET_SPAN)
                    break;
            }
        }
        fb_settle(&b);
        {
            size_t k = b.n < keep ? b.n : keep;
            if (k)
                memcpy(out, b.v + (b.n - k), k * sizeof *out);
            if (kept)
                *kept = k;
        }
    }
    free(b.v);
    return total;
}

/* ------------------------------------------------------------ ISO 8601 */

void iso_format(time_t t, const char *zone, char *buf, size_t n)
{
    struct tm tm;
    long off;

    tz_use(zone);
    if (!localtime_r(&t, &tm)) { /* beyond any calendar: the number itself */
        snprintf(buf, n, "%lld", (long long)t);
        return;
    }
    off = tm.tm_gmtoff;
    if (off % 60 != 0) {
        /* A local mean time before standard zones (+10:36:20): an ISO 8601
         * offset has no seconds, so the instant is written in UTC, exactly. */
        gmtime_r(&t, &tm);
        off = 0;
    }
    snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+',
             labs(off) / 3600, labs(off) / 60 % 60);
}

static int digits(const char **p, int n, int *v)
{
    int i;
    *v = 0;
    for (i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        *v = *v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    return 0;
}

int iso_has_offset(const char *s)
{
    size_t n = strlen(s);
    const char *t = strpbrk(s, "Tt ");

    if (!t || n < 1)
        return 0;
    if (s[n - 1] == 'Z' || s[n - 1] == 'z')
        return 1;
    return strpbrk(t, "+-") != NULL;
}

int iso_parse(const char *s, const char *zone, time_t *out)
{
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0, has_off = 0;
    long off = 0;
    int64_t wall;
    time_t at[2];

    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
        digits(&p, 2, &d))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return -1;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
            return -1;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &sec))
                return -1;
        }
        if (h > 23 || mi > 59 || sec > 59)
            return -1;
        if (*p == 'Z' || *p == 'z') {
            has_off = 1;
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
            if (digits(&p, 2, &oh))
                return -1;
            if (*p == ':')
                p++;
            if (*p && digits(&p, 2, &om))
                return -1;
            if (oh > 14 || om > 59)
                return -1;
            has_off = 1;
            off = sign * (oh * 3600L + om * 60L);
        }
    }
    if (*p)
        return -1;
    wall = wall_make(y, mo, d, h, mi, sec);
    if (has_off) {
        *out = (time_t)(wall - off);
    } else {
        tz_use(zone);
        if (tz_instants(wall, at) == 0)
            *out = gap_end(wall);
        else
            *out = at[0];
    }
    /* Only the times cron handles: any of them formats in four-digit years,
     * in any zone, and reads back. */
    if ((int64_t)*out < CRON_TIME_MIN || (int64_t)*out > CRON_TIME_MAX)
        return -1;
    return 0;
}
