/*
 * schedule.h - a report's `schedule:` section, read and validated, and the
 * period a fire time stands for.
 *
 *   schedule:
 *     cron: "0 6 1 * *"
 *     tz: Europe/Berlin
 *     period: previous_month
 *     catch_up: latest          # skip | latest | all
 *     run_retry: { attempts: 4, backoff: 15m }   # a run that fails for now
 *     deliver:
 *       - { folder: ../out/archive, name: "{report}-{period}.pdf" }
 *       - { email: [a@example.com], smtp_url: "smtp://mail:587", from: q@example.com }
 *       - { webhook: "https://hooks.example.com/quire", format: json }
 *     on_failure: { email: ops@example.com }
 *
 * The full format is in docs/scheduling.md.
 */
#ifndef QUIRE_SCHEDULE_H
#define QUIRE_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "cron.h"
#include "error.h"
#include "spec.h"
#include "ydoc.h"

typedef enum catch_up_policy { CATCH_SKIP = 0, CATCH_LATEST, CATCH_ALL } catch_up_policy;

typedef enum period_kind {
    PERIOD_PREVIOUS_MONTH = 0,
    PERIOD_CURRENT_MONTH,
    PERIOD_PREVIOUS_QUARTER,
    PERIOD_PREVIOUS_YEAR,
    PERIOD_PREVIOUS_DAY,
    PERIOD_CURRENT_DAY,
    PERIOD_PREVIOUS_WEEK,    /* ISO weeks, Monday to Sunday */
    PERIOD_CURRENT_WEEK
} period_kind;

typedef enum deliver_kind { DELIVER_FOLDER = 0, DELIVER_EMAIL, DELIVER_WEBHOOK } deliver_kind;

typedef struct deliver_target {
    deliver_kind kind;
    char **to;               /* recipients: addresses, one folder, one URL */
    size_t nto;
    char *name;              /* folder: file-name template */
    char *smtp_url, *from, *subject, *body;     /* email */
    char *username_env, *password_env, *password_file;
    int tls;                 /* email: 0 when offered, 1 required, -1 never
                              * (default: required with a password) */
    int json;                /* webhook: a JSON notice instead of the PDF */
    char *token_env, *token_file;               /* webhook: bearer token */
    char *ca_file;           /* email, webhook: CA bundle to verify the server with */
    long timeout;            /* seconds per attempt */
} deliver_target;

struct schedule {
    char *spec_path;
    char *report;            /* its name in the ledger: `name:` or the file's */
    char *cron_text;
    cron_expr cron;
    char *tz;
    period_kind period;
    char *from_param, *to_param;  /* the spec's parameters that get the period */
    int from_is_date, to_is_date; /* date (YYYY-MM-DD) rather than month params */
    catch_up_policy catch_up;
    int catch_up_max;        /* at most this many missed runs (all) */
    int show;                /* periods of the spec's grain (months by default) a run
                              * shows, ending with its period's last (1: the period
                              * alone); from gets the first */
    grain grain;             /* the spec's: quarters and years start in its fiscal
                              * year's month, show counts its periods */
    long grace;              /* seconds late a run still counts as on time */
    int retries;             /* attempts per recipient */
    long backoff;            /* seconds before the second attempt; doubles */
    int run_attempts;        /* renders of a run that fails for now (run_retry) */
    long run_backoff;        /* seconds before its second; doubles */
    deliver_target *targets;
    size_t ntargets;
    deliver_target *on_failure;   /* an email target, or NULL */
};

/* Load the spec at path (with the overrides) and take its schedule section.
 * Returns NULL with err set when the spec is invalid or has no schedule. */
schedule *schedule_load(const char *path, const spec_override *ov, size_t nov,
                        quire_error *err);
/* Read the schedule section n of the spec being loaded (spec_load calls
 * this, with the spec's parameters already read). Returns 0 with *out set,
 * or -1 with the YAML document's error set. */
int schedule_parse(ydoc *y, ynode *n, const spec *sp, schedule **out);
void schedule_free(schedule *s);

/* The period a run that fires for local time `wall` reports on. */
typedef struct period {
    char label[32];          /* "2024-04", "2024-Q1" ("FY2023/24-Q4"), "2024", "2024-04-30",
                              * "2024-W17" */
    char from[16], to[16];   /* the parameters' values */
} period;
void schedule_period(const schedule *s, int64_t wall, period *p);

/* "90s", "10m", "2h", "1d" or a number of seconds; -1 when not one. */
long parse_duration(const char *s);

/* Why addr cannot be used as an email address, or NULL when it can. An
 * address is a mailbox of RFC 5321 alone (no display name, no angle
 * brackets): a dot-atom local part of at most 64 characters, "@", and a
 * domain name (letters, digits, hyphens, dots) or an address literal in
 * brackets, in ASCII, at most 254 characters. Checked when a spec is loaded
 * and again before anything is sent: a CR or LF in an address would be a
 * command of its own on the SMTP connection. */
const char *email_address_problem(const char *addr);

/* Why text cannot go into one header line of a message or an HTTP request
 * (it holds a control character such as CR, LF or NUL), or NULL. */
const char *header_text_problem(const char *text);

/* text as messages show it: in double quotes, control characters escaped
 * (as JSON writes them), so that a value can never break a log line.
 * Returns a malloc'd string. */
char *quoted_for_message(const char *text);

#endif
