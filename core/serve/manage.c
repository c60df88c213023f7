/* manage.c - subscriptions and alerts through the server. */
#include "manage.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts.h"
#include "schedule.h"
#include "state.h"
#include "util.h"

static state *st;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

int manage_open(const char *state_path, quire_error *err)
{
    st = state_open(state_path, STATE_SHARED, err);
    return st ? 0 : -1;
}

void manage_close(void)
{
    state_close(st);
    st = NULL;
}

static unsigned fail(json_t **out, unsigned status, const char *msg)
{
    *out = json_pack("{s:{s:i,s:s}}", "error", "status", (int)status, "message", msg);
    return status;
}

/* The report's name in the ledger, or NULL when it has no schedule. */
static const char *ledger_name(const spec *s)
{
    return s && s->schedule ? s->schedule->report : NULL;
}

static json_t *sub_json(const subscription *s)
{
    json_t *j = json_pack("{s:I,s:s,s:s}", "id", (json_int_t)s->id, "channel", s->channel,
                          "address", s->address);
    if (strcmp(s->channel, "webhook") == 0) {
        json_object_set_new(j, "format", json_string(s->format));
        if (s->token_env[0])
            json_object_set_new(j, "token_env", json_string(s->token_env));
    }
    return j;
}

static json_t *alert_to_json(const alert *a)
{
    char cond[64];
    json_t *t = json_array();
    size_t i;

    alert_condition_text(a, cond, sizeof cond);
    for (i = 0; i < a->ntargets; i++)
        json_array_append_new(t, json_pack("{s:s,s:s}", "channel", a->targets[i].channel,
                                           "address", a->targets[i].address));
    return json_pack("{s:I,s:s,s:s,s:s?,s:s,s:o}", "id", (json_int_t)a->id, "name", a->name,
                     "kpi", a->kpi, "segment", a->segment[0] ? a->segment : NULL, "condition",
                     cond, "targets", t);
}

unsigned manage_list(const char *name, const spec *s, json_t **out)
{
    const char *report = ledger_name(s);
    subscription *subs = NULL;
    alert *alerts = NULL;
    size_t ns = 0, na = 0, i;
    quire_error err = {0};
    json_t *js = json_array(), *ja = json_array();

    if (!report) {
        json_decref(js);
        json_decref(ja);
        *out = json_pack("{s:s,s:n,s:[],s:[]}", "report", name, "schedule", "subscriptions",
                         "alerts");
        return 200;
    }
    pthread_mutex_lock(&lock);
    if (sub_list(st, report, &subs, &ns, &err) || alert_list(st, report, &alerts, &na, &err)) {
        pthread_mutex_unlock(&lock);
        free(subs);
        free(alerts);
        json_decref(js);
        json_decref(ja);
        return fail(out, 500, err.msg);
    }
    pthread_mutex_unlock(&lock);
    for (i = 0; i < ns; i++)
        json_array_append_new(js, sub_json(&subs[i]));
    for (i = 0; i < na; i++)
        json_array_append_new(ja, alert_to_json(&alerts[i]));
    free(subs);
    free(alerts);
    *out = json_pack("{s:s,s:s,s:o,s:o}", "report", name, "schedule", report, "subscriptions",
                     js, "alerts", ja);
    return 200;
}

static const char *str(json_t *body, const char *key)
{
    json_t *v = json_object_get(body, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A webhook's token is read by the scheduler from the environment variable
 * named here: only QUIRE_HOOK_* ones, so that an editor cannot have another
 * of the scheduler's secrets sent to a URL of theirs. */
static int token_env_ok(const char *v)
{
    size_t i;
    if (!v || !*v)
        return 1;
    if (strncmp(v, "QUIRE_HOOK_", 11) != 0 || strlen(v) > 100 || !v[11])
        return 0;
    for (i = 11; v[i]; i++)
        if (!((v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= '0' && v[i] <= '9') || v[i] == '_'))
            return 0;
    return 1;
}

unsigned manage_subscribe(const char *name, const spec *s, json_t *body, json_t **out)
{
    const char *report = ledger_name(s), *ch = str(body, "channel"), *addr = str(body, "address");
    const char *fmt = str(body, "format"), *tok = str(body, "token_env");
    subscription sub;
    quire_error err = {0};
    int64_t id = 0;
    int rc;

    (void)name;
    if (!report)
        return fail(out, 409, "the report has no schedule: subscriptions follow its scheduled "
                              "runs");
    if (!ch || (strcmp(ch, "email") != 0 && strcmp(ch, "webhook") != 0))
        return fail(out, 400, "\"channel\" must be \"email\" or \"webhook\"");
    if (!addr || !*addr || strlen(addr) >= sizeof sub.address)
        return fail(out, 400, "\"address\" must be an email address or a webhook URL");
    if (fmt && strcmp(fmt, "pdf") != 0 && strcmp(fmt, "json") != 0)
        return fail(out, 400, "\"format\" must be \"pdf\" or \"json\"");
    if (!token_env_ok(tok))
        return fail(out, 400, "\"token_env\" must name a QUIRE_HOOK_ variable");
    memset(&sub, 0, sizeof sub);
    snprintf(sub.report, sizeof sub.report, "%s", report);
    snprintf(sub.channel, sizeof sub.channel, "%s", ch);
    snprintf(sub.address, sizeof sub.address, "%s", addr);
    snprintf(sub.format, sizeof sub.format, "%s", fmt ? fmt : "pdf");
    snprintf(sub.token_env, sizeof sub.token_env, "%s", tok ? tok : "");
    pthread_mutex_lock(&lock);
    rc = sub_add(st, &sub, (int64_t)time(NULL), &id, &err);
    pthread_mutex_unlock(&lock);
    if (rc)
        return fail(out, 400, err.msg);
    sub.id = id;
    *out = sub_json(&sub);
    return 201;
}

unsigned manage_unsubscribe(int64_t id, json_t **out)
{
    quire_error err = {0};
    int rc;

    pthread_mutex_lock(&lock);
    rc = sub_remove(st, id, &err);
    pthread_mutex_unlock(&lock);
    if (rc)
        return fail(out, 404, err.msg);
    *out = json_pack("{s:I,s:b}", "id", (json_int_t)id, "deleted", 1);
    return 200;
}

/* The targets of body's "email" and "webhook" (a string or a list). */
static const char *add_targets(alert *a, json_t *body, const char *key)
{
    json_t *v = json_object_get(body, key), *e;
    size_t i;

    if (!v)
        return NULL;
    if (json_is_string(v)) {
        if (!*json_string_value(v))
            return NULL;
        if (a->ntargets == ALERT_TARGETS_MAX)
            return "at most 8 targets";
        snprintf(a->targets[a->ntargets].channel, sizeof a->targets[0].channel, "%s", key);
        snprintf(a->targets[a->ntargets].address, sizeof a->targets[0].address, "%s",
                 json_string_value(v));
        a->ntargets++;
        return NULL;
    }
    if (!json_is_array(v))
        return "\"email\" and \"webhook\" are a string or a list of strings";
    json_array_foreach(v, i, e) {
        if (!json_is_string(e))
            return "\"email\" and \"webhook\" are a string or a list of strings";
        if (a->ntargets == ALERT_TARGETS_MAX)
            return "at most 8 targets";
        snprintf(a->targets[a->ntargets].channel, sizeof a->targets[0].channel, "%s", key);
        snprintf(a->targets[a->ntargets].address, sizeof a->targets[0].address, "%s",
                 json_string_value(e));
        a->ntargets++;
    }
    return NULL;
}

unsigned manage_alert_add(const char *name, const spec *s, json_t *body, json_t **out)
{
    const char *report = ledger_name(s), *kpi = str(body, "kpi"), *seg = str(body, "segment");
    const char *cond = str(body, "condition"), *nm = str(body, "name"), *why;
    alert a;
    quire_error err = {0};
    int64_t id = 0;
    size_t i;
    int rc, known = 0;

    (void)name;
    if (!report)
        return fail(out, 409, "the report has no schedule: alerts are checked after its "
                              "scheduled runs");
    memset(&a, 0, sizeof a);
    for (i = 0; kpi && i < s->nkpis; i++)
        known |= strcmp(s->kpis[i].name, kpi) == 0;
    if (!known)
        return fail(out, 400, "\"kpi\" must be one of the report's KPIs");
    known = !seg || !*seg;
    for (i = 0; !known && i < s->nsegments; i++)
        known = strcmp(s->segments[i].name, seg) == 0;
    if (!known)
        return fail(out, 400, "\"segment\" must be one of the report's segments, or empty for "
                              "all customers");
    if (!cond)
        return fail(out, 400, "\"condition\" is needed, such as \"value > 5%\" or "
                              "\"change > 10%\"");
    if (alert_parse_condition(cond, &a, &err))
        return fail(out, 400, err.msg);
    if ((why = add_targets(&a, body, "email")) || (why = add_targets(&a, body, "webhook")))
        return fail(out, 400, why);
    if (!a.ntargets)
        return fail(out, 400, "an alert needs an \"email\" address or a \"webhook\" URL");
    snprintf(a.report, sizeof a.report, "%s", report);
    snprintf(a.kpi, sizeof a.kpi, "%s", kpi);
    snprintf(a.segment, sizeof a.segment, "%s", seg ? seg : "");
    if (nm && *nm) {
        snprintf(a.name, sizeof a.name, "%.*s", (int)sizeof a.name - 1, nm);
    } else {
        char c[64];
        alert_condition_text(&a, c, sizeof c);
        snprintf(a.name, sizeof a.name, "%.40s of %.30s: %.40s", a.kpi,
                 a.segment[0] ? a.segment : "all customers", c);
    }
    pthread_mutex_lock(&lock);
    rc = alert_add(st, &a, (int64_t)time(NULL), &id, &err);
    pthread_mutex_unlock(&lock);
    if (rc)
        return fail(out, 400, err.msg);
    a.id = id;
    *out = alert_to_json(&a);
    return 201;
}

unsigned manage_alert_remove(int64_t id, json_t **out)
{
    quire_error err = {0};
    int rc;

    pthread_mutex_lock(&lock);
    rc = alert_remove(st, id, &err);
    pthread_mutex_unlock(&lock);
    if (rc)
        return fail(out, 404, err.msg);
    *out = json_pack("{s:I,s:b}", "id", (json_int_t)id, "deleted", 1);
    return 200;
}
