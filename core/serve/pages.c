/* pages.c - the server's HTML. */
#include "pages.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "jobs.h"
#include "schedule.h"

static const char *const type_names[] = {"string", "integer", "number", "date", "month", "path"};

void sb_html(strbuf *b, const char *s)
{
    const char *p;
    if (!s)
        return;
    for (p = s; *p; p++) {
        switch (*p) {
        case '&': sb_puts(b, "&amp;"); break;
        case '<': sb_puts(b, "&lt;"); break;
        case '>': sb_puts(b, "&gt;"); break;
        case '"': sb_puts(b, "&quot;"); break;
        case '\'': sb_puts(b, "&#39;"); break;
        default: sb_add(b, p, 1);
        }
    }
}

void page_css(strbuf *b)
{
    sb_puts(b,
            "body{font-family:system-ui,sans-serif;margin:0;color:#1d2433;background:#f6f7f9}\n"
            "header{background:#1d2433;color:#fff;padding:.6em 1.5em;display:flex;"
            "align-items:center;justify-content:space-between}\n"
            "header a{color:#fff;text-decoration:none;font-weight:600}\n"
            "header form{display:inline;margin-left:1em}\n"
            "main{max-width:70em;margin:1.5em auto;padding:0 1.5em}\n"
            "table{border-collapse:collapse;width:100%;background:#fff}\n"
            "th,td{border:1px solid #d8dce3;padding:.45em .6em;text-align:left;"
            "vertical-align:top}\n"
            "th{background:#eef0f4}\n"
            "form.run label{display:block;margin:.8em 0 .2em;font-weight:600}\n"
            "form.run .help{color:#5a6270;font-size:.9em;margin:.1em 0}\n"
            "input,select,button{font:inherit;padding:.3em .5em}\n"
            "button{background:#2456c6;color:#fff;border:0;border-radius:4px;padding:.5em 1.2em;"
            "margin-top:1em;cursor:pointer}\n"
            "header button{background:#3a4356;margin:0;padding:.3em .8em}\n"
            ".error{background:#fdecea;border:1px solid #e0a09a;padding:.7em;white-space:pre-wrap;"
            "font-family:ui-monospace,monospace}\n"
            ".status{font-weight:600}\n"
            ".files a{margin-right:1.2em}\n"
            "iframe.report{width:100%;height:80vh;border:1px solid #d8dce3;background:#fff}\n"
            "code{background:#eef0f4;padding:0 .2em}\n");
}

static void head(strbuf *b, const page_info *pi, const char *title, int refresh)
{
    sb_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    if (refresh)
        sb_printf(b, "<meta http-equiv=\"refresh\" content=\"%d\">\n", refresh);
    sb_puts(b, "<title>");
    sb_html(b, title);
    sb_puts(b, " - Quire</title>\n<link rel=\"stylesheet\" href=\"/static/quire.css\">\n"
               "</head><body>\n<header><a href=\"/\">Quire reports</a><span>");
    if (pi->user) {
        sb_html(b, pi->user);
        sb_printf(b, " (%s)", pi->role);
        sb_puts(b, "<form method=\"post\" action=\"/logout\"><input type=\"hidden\" "
                   "name=\"csrf\" value=\"");
        sb_html(b, pi->csrf);
        sb_puts(b, "\"><button type=\"submit\">Sign out</button></form>");
    } else if (pi->auth) {
        sb_puts(b, "<a href=\"/login\">Sign in</a>");
    }
    sb_puts(b, "</span></header>\n<main>\n");
}

static void foot(strbuf *b)
{
    sb_puts(b, "</main>\n</body></html>\n");
}

void page_message(strbuf *b, const page_info *pi, const char *title, const char *text)
{
    head(b, pi, title, 0);
    sb_puts(b, "<h1>");
    sb_html(b, title);
    sb_puts(b, "</h1>\n<p>");
    sb_html(b, text);
    sb_puts(b, "</p>\n<p><a href=\"/\">All reports</a></p>\n");
    foot(b);
}

static void error_block(strbuf *b, const quire_error *e)
{
    char text[QUIRE_ERROR_TEXT_MAX];
    sb_puts(b, "<div class=\"error\">");
    sb_html(b, quire_err_format(e, text, sizeof text));
    sb_puts(b, "</div>\n");
}

void page_reports(strbuf *b, const page_info *pi, const char *const *names,
                  const spec *const *specs, const quire_error *errs, size_t n)
{
    size_t i, k;

    head(b, pi, "Reports", 0);
    sb_puts(b, "<h1>Reports</h1>\n");
    if (!n) {
        sb_puts(b, "<p>There are no reports in this server's folder.</p>\n");
        foot(b);
        return;
    }
    sb_puts(b, "<table id=\"reports\">\n<tr><th>Report</th><th>Parameters</th>"
               "<th>Schedule</th></tr>\n");
    for (i = 0; i < n; i++) {
        const spec *s = specs[i];
        sb_puts(b, "<tr><td><a class=\"report\" href=\"/reports/");
        sb_html(b, names[i]);
        sb_puts(b, "\">");
        sb_html(b, s && s->title ? s->title : names[i]);
        sb_puts(b, "</a><br><code>");
        sb_html(b, names[i]);
        sb_puts(b, "</code></td><td>");
        if (!s) {
            error_block(b, &errs[i]);
            sb_puts(b, "</td><td></td></tr>\n");
            continue;
        }
        if (!s->nparams)
            sb_puts(b, "none");
        for (k = 0; k < s->nparams; k++) {
            const spec_param *p = &s->params[k];
            sb_puts(b, "<div><code>");
            sb_html(b, p->name);
            sb_puts(b, "</code> ");
            sb_puts(b, type_names[p->type]);
            if (p->value && p->type != PARAM_PATH) {
                sb_puts(b, ", default <code>");
                sb_html(b, p->value);
                sb_puts(b, "</code>");
            }
            if (p->help) {
                sb_puts(b, " &mdash; ");
                sb_html(b, p->help);
            }
            sb_puts(b, "</div>");
        }
        sb_puts(b, "</td><td>");
        if (s->schedule) {
            sb_puts(b, "<code>");
            sb_html(b, s->schedule->cron_text);
            sb_puts(b, "</code> ");
            sb_html(b, s->schedule->tz ? s->schedule->tz : "UTC");
        } else {
            sb_puts(b, "not scheduled");
        }
        sb_puts(b, "</td></tr>\n");
    }
    sb_puts(b, "</table>\n");
    foot(b);
}

static const char *given(const char *name, const char *const *gn, const char *const *gv,
                         size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (strcmp(gn[i], name) == 0)
            return gv[i];
    return NULL;
}

static void param_input(strbuf *b, const spec_param *p, const char *value)
{
    size_t i;

    sb_puts(b, "<label for=\"p-");
    sb_html(b, p->name);
    sb_puts(b, "\">");
    sb_html(b, p->name);
    sb_puts(b, "</label>\n");
    if (p->type == PARAM_PATH) {
        /* Never taken from a request: shown, not sent. */
        sb_puts(b, "<input id=\"p-");
        sb_html(b, p->name);
        sb_puts(b, "\" type=\"text\" disabled value=\"set by the report\">\n");
    } else if (p->nchoices) {
        sb_puts(b, "<select id=\"p-");
        sb_html(b, p->name);
        sb_puts(b, "\" name=\"");
        sb_html(b, p->name);
        sb_puts(b, "\">\n");
        for (i = 0; i < p->nchoices; i++) {
            sb_puts(b, "<option value=\"");
            sb_html(b, p->choices[i]);
            sb_puts(b, "\"");
            if (value && strcmp(value, p->choices[i]) == 0)
                sb_puts(b, " selected");
            sb_puts(b, ">");
            sb_html(b, p->choices[i]);
            sb_puts(b, "</option>\n");
        }
        sb_puts(b, "</select>\n");
    } else {
        const char *type = "text", *extra = "";
        switch (p->type) {
        case PARAM_MONTH: type = "month"; extra = " pattern=\"[0-9]{4}-[0-9]{2}\""; break;
        case PARAM_DATE: type = "date"; break;
        case PARAM_INTEGER: type = "number"; extra = " step=\"1\""; break;
        case PARAM_NUMBER: type = "number"; extra = " step=\"any\""; break;
        default: break;
        }
        sb_printf(b, "<input id=\"p-");
        sb_html(b, p->name);
        sb_printf(b, "\" type=\"%s\"%s name=\"", type, extra);
        sb_html(b, p->name);
        sb_puts(b, "\" value=\"");
        sb_html(b, value ? value : "");
        sb_puts(b, "\">\n");
    }
    if (p->help) {
        sb_puts(b, "<p class=\"help\">");
        sb_html(b, p->help);
        sb_puts(b, "</p>\n");
    }
}

static void ms_time(strbuf *b, int64_t ms)
{
    char ts[32];
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S UTC", &tm);
    sb_puts(b, ts);
}

/* A run's parameters ({"from": "2024-03"}) as "from=2024-03, ...". */
static void params_text(strbuf *b, const char *json)
{
    json_t *j = json_loads(json ? json : "{}", 0, NULL), *v;
    const char *k;
    int first = 1;

    if (!j || !json_object_size(j)) {
        sb_puts(b, "defaults");
        json_decref(j);
        return;
    }
    json_object_foreach(j, k, v) {
        if (!first)
            sb_puts(b, ", ");
        first = 0;
        sb_html(b, k);
        sb_puts(b, "=");
        sb_html(b, json_is_string(v) ? json_string_value(v) : "?");
    }
    json_decref(j);
}

static void hidden_csrf(strbuf *b, const page_info *pi)
{
    sb_puts(b, "<input type=\"hidden\" name=\"csrf\" value=\"");
    sb_html(b, pi->csrf);
    sb_puts(b, "\">");
}

static const char *jstr(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : "";
}

/* The last cell of a row of the table of what (subscriptions, alerts): a
 * form that removes item and comes back to report name's page. */
static void remove_cell(strbuf *b, const page_info *pi, const char *what, const json_t *item,
                        const char *name)
{
    sb_printf(b, "</td><td><form method=\"post\" action=\"/%s/%" JSON_INTEGER_FORMAT
                 "/delete\">", what, json_integer_value(json_object_get(item, "id")));
    hidden_csrf(b, pi);
    sb_puts(b, "<input type=\"hidden\" name=\"report\" value=\"");
    sb_html(b, name);
    sb_puts(b, "\"><button type=\"submit\">Remove</button></form></td></tr>\n");
}

/* The end of the table of what and the start of the form that adds to it. */
static void add_form(strbuf *b, const page_info *pi, const char *what, const char *name)
{
    sb_puts(b, "</table>\n<form class=\"run\" method=\"post\" action=\"/reports/");
    sb_html(b, name);
    sb_printf(b, "/%s\">", what);
    hidden_csrf(b, pi);
}

/* An editor's part of a report's page: subscriptions and alerts. */
static void manage_section(strbuf *b, const page_info *pi, const char *name, const spec *s,
                           const json_t *m, const char *error)
{
    const json_t *subs = json_object_get(m, "subscriptions"), *alerts = json_object_get(m, "alerts");
    const json_t *e, *t;
    size_t i, k;

    sb_puts(b, "<h2 id=\"manage\">Subscriptions and alerts</h2>\n");
    if (!s->schedule) {
        sb_puts(b, "<p>This report has no schedule: subscriptions and alerts follow scheduled "
                   "runs.</p>\n");
        return;
    }
    if (error) {
        sb_puts(b, "<div class=\"error\" id=\"manage-error\">");
        sb_html(b, error);
        sb_puts(b, "</div>\n");
    }
    sb_puts(b, "<table id=\"subscriptions\"><tr><th>Subscriber</th><th>By</th><th></th></tr>\n");
    json_array_foreach(subs, i, e) {
        sb_puts(b, "<tr><td>");
        sb_html(b, jstr(e, "address"));
        sb_puts(b, "</td><td>");
        sb_html(b, jstr(e, "channel"));
        remove_cell(b, pi, "subscriptions", e, name);
    }
    add_form(b, pi, "subscriptions", name);
    sb_puts(b, "<label for=\"sub-channel\">Subscribe</label><select id=\"sub-channel\" "
               "name=\"channel\"><option value=\"email\">email</option><option value=\"webhook\">"
               "webhook</option></select> <input id=\"sub-address\" name=\"address\" size=\"40\" "
               "placeholder=\"name@example.com or https://...\"> <button type=\"submit\" "
               "id=\"subscribe\">Subscribe</button></form>\n");

    sb_puts(b, "<table id=\"alerts\"><tr><th>Alert</th><th>KPI</th><th>Segment</th>"
               "<th>Condition</th><th>To</th><th></th></tr>\n");
    json_array_foreach(alerts, i, e) {
        sb_puts(b, "<tr><td>");
        sb_html(b, jstr(e, "name"));
        sb_puts(b, "</td><td>");
        sb_html(b, jstr(e, "kpi"));
        sb_puts(b, "</td><td>");
        sb_html(b, *jstr(e, "segment") ? jstr(e, "segment") : "all customers");
        sb_puts(b, "</td><td>");
        sb_html(b, jstr(e, "condition"));
        sb_puts(b, "</td><td>");
        json_array_foreach(json_object_get(e, "targets"), k, t) {
            if (k)
                sb_puts(b, ", ");
            sb_html(b, jstr(t, "address"));
        }
        remove_cell(b, pi, "alerts", e, name);
    }
    add_form(b, pi, "alerts", name);
    sb_puts(b, "<label for=\"alert-kpi\">Alert when</label><select id=\"alert-kpi\" name=\"kpi\">");
    for (i = 0; i < s->nkpis; i++) {
        sb_puts(b, "<option>");
        sb_html(b, s->kpis[i].name);
        sb_puts(b, "</option>");
    }
    sb_puts(b, "</select> of <select id=\"alert-segment\" name=\"segment\"><option value=\"\">"
               "all customers</option>");
    for (i = 0; i < s->nsegments; i++) {
        sb_puts(b, "<option>");
        sb_html(b, s->segments[i].name);
        sb_puts(b, "</option>");
    }
    sb_puts(b, "</select> <input id=\"alert-condition\" name=\"condition\" size=\"16\" "
               "placeholder=\"value &gt; 5%\"> email <input id=\"alert-email\" name=\"email\" "
               "size=\"28\"> <button type=\"submit\" id=\"add-alert\">Add alert</button>"
               "<p class=\"help\">A condition is <code>value &gt; 0.05</code>, <code>value &gt;= "
               "5%</code> or <code>change &gt; 10%</code> (on the month before); it is checked "
               "after every scheduled run and sent once per breach.</p></form>\n");
}

void page_report(strbuf *b, const page_info *pi, const char *name, const spec *s,
                 const quire_error *load_err, const char *const *gnames,
                 const char *const *gvalues, size_t ngiven, const char *error,
                 const srun *recent, size_t nrecent, const json_t *manage,
                 const char *manage_error)
{
    size_t i;

    head(b, pi, s && s->title ? s->title : name, 0);
    sb_puts(b, "<p><a href=\"/\">All reports</a></p>\n<h1>");
    sb_html(b, s && s->title ? s->title : name);
    sb_puts(b, "</h1>\n");
    if (!s) {
        error_block(b, load_err);
        foot(b);
        return;
    }
    if (s->subtitle) {
        sb_puts(b, "<p>");
        sb_html(b, s->subtitle);
        sb_puts(b, "</p>\n");
    }
    if (error) {
        sb_puts(b, "<div class=\"error\" id=\"error\">");
        sb_html(b, error);
        sb_puts(b, "</div>\n");
    }
    sb_puts(b, "<form class=\"run\" method=\"post\" action=\"/reports/");
    sb_html(b, name);
    sb_puts(b, "/runs\">\n<input type=\"hidden\" name=\"csrf\" value=\"");
    sb_html(b, pi->csrf);
    sb_puts(b, "\">\n");
    for (i = 0; i < s->nparams; i++) {
        const char *v = given(s->params[i].name, gnames, gvalues, ngiven);
        param_input(b, &s->params[i], v ? v : s->params[i].value);
    }
    sb_puts(b, "<button type=\"submit\" id=\"run\">Run</button>\n</form>\n");
    if (s->schedule) {
        sb_puts(b, "<p>Scheduled: <code>");
        sb_html(b, s->schedule->cron_text);
        sb_puts(b, "</code> ");
        sb_html(b, s->schedule->tz ? s->schedule->tz : "UTC");
        sb_puts(b, "</p>\n");
    }
    if (nrecent) {
        sb_puts(b, "<h2>Recent runs</h2>\n<table id=\"runs\"><tr><th>Run</th><th>Parameters</th>"
                   "<th>Status</th><th>Asked</th></tr>\n");
        for (i = 0; i < nrecent; i++) {
            sb_printf(b, "<tr><td><a href=\"/runs/%" PRId64 "\">%" PRId64 "</a></td><td>",
                      recent[i].id, recent[i].id);
            params_text(b, recent[i].params);
            sb_puts(b, "</td><td>");
            sb_html(b, recent[i].status);
            sb_puts(b, "</td><td>");
            ms_time(b, recent[i].created);
            sb_puts(b, "</td></tr>\n");
        }
        sb_puts(b, "</table>\n");
    }
    if (manage)
        manage_section(b, pi, name, s, manage, manage_error);
    foot(b);
}

void page_run(strbuf *b, const page_info *pi, const srun *run, const int *have, int queued)
{
    int active = strcmp(run->status, SRUN_QUEUED) == 0 || strcmp(run->status, SRUN_RUNNING) == 0;
    size_t i;
    char title[160];

    snprintf(title, sizeof title, "Run %" PRId64, run->id);
    head(b, pi, title, active ? 1 : 0);
    sb_puts(b, "<p><a href=\"/\">All reports</a> &rsaquo; <a href=\"/reports/");
    sb_html(b, run->report);
    sb_puts(b, "\">");
    sb_html(b, run->report);
    sb_printf(b, "</a></p>\n<h1>Run %" PRId64 " of <code>", run->id);
    sb_html(b, run->report);
    sb_puts(b, "</code></h1>\n<p>Parameters: ");
    params_text(b, run->params);
    sb_puts(b, "</p>\n<p>Status: <span class=\"status\" id=\"status\">");
    sb_html(b, run->status);
    sb_puts(b, "</span>");
    if (strcmp(run->status, SRUN_QUEUED) == 0 && queued > 0)
        sb_printf(b, " (%d in the queue)", queued);
    if (run->started && run->finished)
        sb_printf(b, " in %.1f s", (double)(run->finished - run->started) / 1000.0);
    sb_puts(b, "</p>\n");
    if (active) {
        sb_puts(b, "<p id=\"progress\">Rendering&hellip; this page refreshes itself until the "
                   "report is ready.</p>\n");
        foot(b);
        return;
    }
    if (run->error) {
        sb_puts(b, "<h2>The report could not be made</h2>\n<div class=\"error\" id=\"error\">");
        sb_html(b, run->error);
        sb_puts(b, "</div>\n");
    }
    if (strcmp(run->status, SRUN_DONE) == 0) {
        int html = 0;
        sb_puts(b, "<p class=\"files\" id=\"files\">");
        for (i = 0; i < serve_nformats; i++) {
            if (!have[i])
                continue;
            if (strcmp(serve_formats[i].file, "report.html") == 0)
                html = 1;
            sb_printf(b, "<a id=\"file-%.*s\" href=\"/api/runs/%" PRId64 "/%s\">%s</a>",
                      (int)strcspn(serve_formats[i].file, "."), serve_formats[i].file, run->id,
                      serve_formats[i].file, serve_formats[i].label);
        }
        sb_puts(b, "</p>\n");
        if (html)
            sb_printf(b, "<iframe class=\"report\" id=\"report\" sandbox title=\"The report\" "
                         "src=\"/api/runs/%" PRId64 "/report.html\"></iframe>\n", run->id);
    }
    foot(b);
}

void page_login_form(strbuf *b, const page_info *pi, const char *error)
{
    page_info anon = *pi;
    anon.user = NULL;
    head(b, &anon, "Sign in", 0);
    sb_puts(b, "<h1>Sign in</h1>\n");
    if (error) {
        sb_puts(b, "<div class=\"error\" id=\"error\">");
        sb_html(b, error);
        sb_puts(b, "</div>\n");
    }
    sb_puts(b, "<form class=\"run\" method=\"post\" action=\"/login\">\n"
               "<input type=\"hidden\" name=\"csrf\" value=\"");
    sb_html(b, pi->csrf);
    sb_puts(b, "\">\n<label for=\"user\">User</label><input id=\"user\" name=\"user\" "
               "autocomplete=\"username\">\n<label for=\"password\">Password</label>"
               "<input id=\"password\" name=\"password\" type=\"password\" "
               "autocomplete=\"current-password\">\n<button type=\"submit\" id=\"signin\">"
               "Sign in</button>\n</form>\n");
    foot(b);
}
