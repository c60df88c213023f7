/*
 * manage.h - the subscriptions and alerts of the served reports, for the
 * server's editors: the ledger's own API (core/sched/alerts.h) behind JSON
 * in and out. A report's subscriptions and alerts are those of its name in
 * the ledger (its schedule's `name:`, or its file's name); a report without
 * a schedule has none.
 */
#ifndef QUIRE_MANAGE_H
#define QUIRE_MANAGE_H

#include <stdint.h>

#include <jansson.h>

#include "error.h"
#include "spec.h"

/* Open the state file beside a scheduler (STATE_SHARED). */
int manage_open(const char *state_path, quire_error *err);
void manage_close(void);

/* Each returns the HTTP status and sets *out to the JSON answer (an object;
 * on an error {"error": {status, message}}). name is the report's name in
 * the reports folder, s its spec. */
unsigned manage_list(const char *name, const spec *s, json_t **out);
/* body: {"channel": "email"|"webhook", "address": ..., "format": "pdf"|"json",
 * "token_env": "QUIRE_HOOK_..."} */
unsigned manage_subscribe(const char *name, const spec *s, json_t *body, json_t **out);
unsigned manage_unsubscribe(int64_t id, json_t **out);
/* body: {"kpi", "segment" (optional), "condition": "value > 5%",
 * "name" (optional), "email" and/or "webhook" (a string or a list)} */
unsigned manage_alert_add(const char *name, const spec *s, json_t *body, json_t **out);
unsigned manage_alert_remove(int64_t id, json_t **out);

#endif
