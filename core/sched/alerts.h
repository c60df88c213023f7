/*
 * alerts.h - subscriptions to a report's schedule, and alerts on the KPIs a
 * scheduled run computes, kept in the scheduler's ledger (state.h).
 *
 * A subscription adds a recipient (an email address or a webhook URL) to
 * every scheduled run of a report, beside the deliveries its spec names.
 * An alert compares one KPI of a run (for a segment, or all customers) with
 * a threshold: its value ("churn rate above 5 %") or its change on the
 * month before ("At Risk grew more than 10 % month on month"). A breach is
 * recorded once per (alert, period) in the ledger, with a delivery for
 * each of the alert's targets, in one transaction: a restart, a rerun or a
 * second pass over the same period sends nothing again. A breach that
 * persists into the next period is that period's breach, and is sent once
 * for it (docs/scheduling.md, "Alerts").
 *
 * Every function takes the state handle (state_open; STATE_SHARED beside a
 * running scheduler), returns 0 or -1 with err set as state.h's do, and
 * writes in one transaction. Lists are malloc'd; free() them.
 */
#ifndef QUIRE_ALERTS_H
#define QUIRE_ALERTS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "model.h"
#include "state.h"
#include "util.h"

/* ------------------------------------------------------------ subscriptions */

typedef struct subscription {
    int64_t id;
    char report[128];      /* the report's name in the ledger (schedule.name) */
    char channel[16];      /* "email" or "webhook" */
    char address[512];     /* the email address, or the webhook's URL */
    char token_env[128];   /* webhook: environment variable holding its bearer
                            * token ("" = none); the token is never stored */
    char format[8];        /* webhook: "pdf" (the PDF) or "json" (a notice) */
    int64_t created;
} subscription;

/* Subscribe: s's report, channel, address, token_env and format (id and
 * created are set here). The address must be an email address (email) or an
 * http(s) URL of one line (webhook); an address already subscribed to the
 * report is an error naming its id. *id (may be NULL) is the new one's. */
int sub_add(state *st, const subscription *s, int64_t now, int64_t *id, quire_error *err);
/* The subscriptions of report (NULL: all), oldest first. */
int sub_list(state *st, const char *report, subscription **out, size_t *n, quire_error *err);
/* Remove subscription id; an error when there is none. Deliveries already
 * recorded for a run keep their rows but are no longer sent. */
int sub_remove(state *st, int64_t id, quire_error *err);
/* The subscription of report by channel and address; *found 0 when none. */
int sub_find(state *st, const char *report, const char *channel, const char *address,
             subscription *out, int *found, quire_error *err);

/* ------------------------------------------------------------ alerts */

typedef enum alert_measure {
    ALERT_VALUE = 0,   /* the KPI's value in the run's month */
    ALERT_CHANGE = 1   /* its change on the month before: (now - before) / |before| */
} alert_measure;

typedef enum alert_op { ALERT_GT = 0, ALERT_GE, ALERT_LT, ALERT_LE } alert_op;

#define ALERT_TARGETS_MAX 8

typedef struct alert_target {
    char channel[16];      /* "email" or "webhook" */
    char address[512];
    char token_env[128];   /* webhook: as a subscription's */
} alert_target;

typedef struct alert {
    int64_t id;
    char report[128];
    char name[128];        /* "VIP churn above 5 %"; unique per report */
    char kpi[64];          /* the KPI's name in the spec */
    char segment[128];     /* a segment of the first segmentation; "" = all customers */
    alert_measure measure;
    alert_op op;
    double threshold;      /* a value in the KPI's terms (0.05 for 5 % of a rate),
                            * or a change as a fraction (0.10 for 10 %) */
    size_t ntargets;       /* 1 to ALERT_TARGETS_MAX */
    alert_target targets[ALERT_TARGETS_MAX];
    int64_t created;
} alert;

/* Read a condition, "value > 0.05", "value >= 5%", "change > 10%",
 * "change < -10%" (a number with an optional "%", which divides it by
 * 100), into a's measure, op and threshold. Returns 0, or -1 with err set
 * (QUIRE_EXIT_USAGE) saying what was expected. */
int alert_parse_condition(const char *text, alert *a, quire_error *err);
/* The condition as text ("change > 10%", "value > 0.05"), into buf. */
void alert_condition_text(const alert *a, char *buf, size_t n);

/* Add alert a (its report, name, kpi, segment, condition and targets; id and
 * created are set here). *id (may be NULL) is the new one's. */
int alert_add(state *st, const alert *a, int64_t now, int64_t *id, quire_error *err);
/* The alerts of report (NULL: all), oldest first, with their targets. */
int alert_list(state *st, const char *report, alert **out, size_t *n, quire_error *err);
/* Alert id; *found 0 when there is none. */
int alert_get(state *st, int64_t id, alert *out, int *found, quire_error *err);
/* Remove alert id and its targets (its events stay, as history); an error
 * when there is none. */
int alert_remove(state *st, int64_t id, quire_error *err);

/* A breach recorded: alert, the run's period, the month compared, the run
 * that found it, the values. */
typedef struct alert_event {
    int64_t id, alert_id, run_id;
    char period[32];       /* the run's period label: "2024-04", "2024-Q1" */
    char month[8];         /* the month whose value was compared: "2024-04" */
    double value;          /* the KPI's value in month */
    double previous;       /* in the month before; NAN when not compared */
    int64_t created;
} alert_event;

/* The events of alert_id (0: of every alert), newest first. */
int alert_events(state *st, int64_t alert_id, alert_event **out, size_t *n, quire_error *err);
/* Event id; *found 0 when there is none. */
int alert_event_get(state *st, int64_t id, alert_event *out, int *found, quire_error *err);

/* ------------------------------------------------------------ a run's values */

/* One KPI value a run computed: as kpis.csv has it, and the value of all
 * customers with segment "". */
typedef struct kpi_value {
    char month[8];
    char segment[128];
    char kpi[64];
    double value;          /* NAN = no value */
} kpi_value;

/* The KPI values of model m (its first segmentation, as kpis.csv, and all
 * customers), every report month. *out is malloc'd. */
void kpi_values_of(const model *m, kpi_value **out, size_t *n);
/* Write them to path atomically (one line each, the numbers exact), and
 * read them back. */
int kpi_values_write(const char *path, const kpi_value *v, size_t n, quire_error *err);
int kpi_values_read(const char *path, kpi_value **out, size_t *n, quire_error *err);

/* ------------------------------------------------------------ evaluation */

typedef enum alert_state {
    ALERT_CLEAR = 0,       /* compared: no breach */
    ALERT_BREACH = 1,      /* compared: the condition holds */
    ALERT_NO_VALUE = 2,    /* the run has no value of the KPI for the segment and month */
    ALERT_NO_PREVIOUS = 3  /* change: none for the month before (or it was 0) */
} alert_state;

typedef struct alert_check_result {
    alert_state state;
    double value;          /* in the month; NAN when none */
    double previous;       /* change: in the month before; else NAN */
    double measured;       /* what was compared with the threshold */
} alert_check_result;

/* Compare alert a with the values v of a run for month ("2024-04").
 * Pure: reads nothing else. Returns r->state. */
alert_state alert_check(const alert *a, const kpi_value *v, size_t n, const char *month,
                        alert_check_result *r);

/* Record a breach of a found by run_id for period: in one transaction, the
 * event (alert, period) and a delivery of it on run_id for each target,
 * unless the event is there already (then nothing: *fired 0). */
int alert_fire(state *st, const alert *a, int64_t run_id, const char *period, const char *month,
               const alert_check_result *r, int64_t now, int *fired, quire_error *err);

/* The recipient of an alert's delivery in the ledger's deliveries (channel
 * ALERT_CHANNEL): "EVENT CHANNEL ADDRESS", and back (0, or -1 when text is
 * not one). */
#define ALERT_CHANNEL "alert"
char *alert_recipient(int64_t event, const char *channel, const char *address);
int alert_recipient_parse(const char *text, int64_t *event, char *channel, size_t nc,
                          const char **address);

/* The link to the report's page for period on the server at base_url (no
 * trailing slash needed), or NULL when base_url is NULL or empty: a
 * malloc'd BASE/reports/REPORT?period=PERIOD, the report and period
 * percent-encoded. */
char *alert_link(const char *base_url, const char *report, const char *period);
/* The message of event e of alert a: a one-line subject, a text, and a JSON
 * document for a webhook; link may be NULL. Each malloc'd or appended. */
char *alert_subject(const alert *a, const alert_event *e);
void alert_text(const alert *a, const alert_event *e, const char *link, strbuf *out);
void alert_json(const alert *a, const alert_event *e, const char *link, strbuf *out);

#endif
