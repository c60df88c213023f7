/*
 * fuzz_cron.c - cron expressions, fire times and ISO 8601 times.
 *
 * The input is a header of 6 bytes (the zone, the start time, the length of
 * the range), then the expression, then after a newline an ISO 8601 time.
 * Besides not crashing or hanging:
 *   - every fire cron_next() gives is after the one before, and stands for a
 *     wall time the expression matches;
 *   - cron_between() over a range counts exactly the fires that calling
 *     cron_next() one after another gives, and keeps the same last ones;
 *   - a time iso_parse() accepts, formatted by iso_format() and parsed
 *     again, is the same instant.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "replay.h"

static const char *const zones[] = {
    "UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
    "Asia/Kolkata", "Pacific/Chatham", "America/Santiago", "Europe/Dublin",
};

#define KEEP 4
#define MAX_STEPS 300 /* fires compared one by one, at most */

static void check_fire(const cron_expr *c, const cron_fire *f)
{
    int y, mo, d, h, mi, s;

    wall_split(f->wall, &y, &mo, &d, &h, &mi, &s);
    if (s != 0 || !(c->minute >> mi & 1) || !(c->hour >> h & 1) || !(c->month >> mo & 1) ||
        !cron_day_matches(c, y, mo, d))
        abort(); /* a fire for a time the expression does not match */
    if (f->note == CRON_ON_TIME && (int64_t)f->at + tz_offset(f->at) != f->wall)
        abort(); /* on time, but not at its wall time */
}

static void check_range(const cron_expr *c, const char *zone, time_t after, time_t until)
{
    cron_fire last[KEEP], kept_v[KEEP], f;
    size_t kept = 0, i;
    int64_t total = cron_between(c, zone, after, until, kept_v, KEEP, &kept), steps = 0;
    time_t t = after;

    if (total < 0 || total > MAX_STEPS)
        return;
    while (steps <= MAX_STEPS && cron_next(c, zone, t, &f) == 0 && f.at <= until) {
        if (f.at <= t)
            abort(); /* not strictly after the one before */
        check_fire(c, &f);
        last[steps % KEEP] = f;
        steps++;
        t = f.at;
    }
    if (steps != total)
        abort(); /* cron_between() and cron_next() disagree on the count */
    if (kept != (size_t)(total < KEEP ? total : KEEP))
        abort();
    for (i = 0; i < kept; i++) {
        const cron_fire *a = &kept_v[i], *b = &last[(steps - (int64_t)kept + (int64_t)i) % KEEP];
        if (a->at != b->at || a->wall != b->wall || a->note != b->note)
            abort(); /* they disagree on the last fires */
    }
}

static void check_iso(const char *s, const char *zone)
{
    time_t t, u;
    char buf[64];

    if (iso_parse(s, zone, &t))
        return;
    iso_format(t, zone, buf, sizeof buf);
    if (iso_parse(buf, zone, &u) || u != t)
        abort(); /* formatted and parsed again, another instant */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *zone;
    int64_t after;
    time_t until;
    char *text, *iso;
    cron_expr c;
    quire_error err = {0};
    int col = -1;

    if (size < 6 || size > 4096)
        return 0;
    zone = zones[data[0] % (sizeof zones / sizeof *zones)];
    /* A start between 1900 and about 2300, to the second; a range of up
     * to about 8 days. */
    after = -2208988800LL + (int64_t)((uint32_t)data[1] << 24 | (uint32_t)data[2] << 16 |
                                      (uint32_t)data[3] << 8 | data[4]) * 3;
    until = (time_t)(after + (int64_t)data[5] * 2707);
    text = malloc(size - 6 + 1);
    if (!text)
        abort();
    memcpy(text, data + 6, size - 6);
    text[size - 6] = '\0';
    iso = strchr(text, '\n');
    if (iso)
        *iso++ = '\0';

    if (cron_parse(text, &c, &col, &err) == 0) {
        cron_fire f;
        if (cron_next(&c, zone, (time_t)after, &f) == 0) {
            if (f.at <= (time_t)after)
                abort();
            check_fire(&c, &f);
        }
        check_range(&c, zone, (time_t)after, until);
    } else if (!err.msg[0] || col < 0 || (size_t)col > strlen(text)) {
        abort(); /* an error must say why, and where */
    }
    if (iso)
        check_iso(iso, zone);
    free(text);
    return 0;
}

#ifndef QUIRE_LIBFUZZER
int main(int argc, char **argv)
{
    char *def[] = {argv[0], (char *)"tests/fuzz/corpus/cron"};
    return argc > 1 ? replay_main("fuzz_cron", argc, argv) : replay_main("fuzz_cron", 2, def);
}
#endif
