/* test_error.c - errors as data: the where in fields, and the one text form. */
#include <string.h>

#include "check.h"
#include "error.h"

static const char *text(const quire_error *e)
{
    static char buf[QUIRE_ERROR_TEXT_MAX];
    return quire_err_format(e, buf, sizeof buf);
}

static void test_format(void)
{
    quire_error e = {0};

    CHECK(quire_err_at(&e, QUIRE_EXIT_USAGE, "r.yaml", 12, 5, "unknown key \"%s\"", "histroy") ==
          -1);
    CHECK(e.code == QUIRE_EXIT_USAGE);
    CHECK_STR(e.file, "r.yaml");
    CHECK(e.line == 12 && e.col == 5);
    CHECK_STR(e.msg, "unknown key \"histroy\"");
    CHECK_STR(text(&e), "r.yaml:12:5: error: unknown key \"histroy\"");

    quire_err_at(&e, QUIRE_EXIT_DATA, "orders.csv", 7, 0, "no column \"amount\"");
    CHECK(e.line == 7 && e.col == 0);
    CHECK_STR(text(&e), "orders.csv:7: error: no column \"amount\"");

    quire_err_at(&e, QUIRE_EXIT_USAGE, "SOURCE_DATE_EPOCH", 0, 0, "\"%s\" is not a Unix time",
                 "soon");
    CHECK_STR(text(&e), "SOURCE_DATE_EPOCH: error: \"soon\" is not a Unix time");

    /* a column without a line is not shown; nor a position without a file */
    quire_err_at(&e, QUIRE_EXIT_USAGE, "r.yaml", 0, 9, "x");
    CHECK(e.line == 0 && e.col == 0);
    CHECK_STR(text(&e), "r.yaml: error: x");
    quire_err_at(&e, QUIRE_EXIT_USAGE, NULL, 3, 4, "y");
    CHECK(e.file[0] == '\0' && e.line == 0 && e.col == 0);
    CHECK_STR(text(&e), "error: y");
    quire_err_at(&e, QUIRE_EXIT_USAGE, "r.yaml", -2, -1, "z");
    CHECK(e.line == 0 && e.col == 0);

    /* quire_err has no where, and clears the one before */
    quire_err_at(&e, QUIRE_EXIT_USAGE, "r.yaml", 1, 1, "before");
    CHECK(quire_err(&e, QUIRE_EXIT_DATA, "out of %s", "memory") == -1);
    CHECK(e.code == QUIRE_EXIT_DATA);
    CHECK(e.file[0] == '\0' && e.line == 0 && e.col == 0);
    CHECK_STR(e.msg, "out of memory");
    CHECK_STR(text(&e), "error: out of memory");

    /* no error to fill: still -1 */
    CHECK(quire_err(NULL, QUIRE_EXIT_DATA, "nowhere") == -1);
    CHECK(quire_err_at(NULL, QUIRE_EXIT_DATA, "f", 1, 1, "nowhere") == -1);
}

static void test_wrap(void)
{
    quire_error e = {0};

    /* the arguments may be the error's own fields */
    quire_err(&e, QUIRE_EXIT_DATA, "attempt to index a nil value");
    quire_err(&e, QUIRE_EXIT_DATA, "segment rule (customer_id 42, 2024-03): %s", e.msg);
    CHECK_STR(e.msg, "segment rule (customer_id 42, 2024-03): attempt to index a nil value");
    quire_err_at(&e, QUIRE_EXIT_USAGE, "k.lua", 0, 0, "bad");
    quire_err_at(&e, QUIRE_EXIT_DATA, e.file, e.line, e.col, "KPI \"x\": %s", e.msg);
    CHECK_STR(text(&e), "k.lua: error: KPI \"x\": bad");
    CHECK(e.code == QUIRE_EXIT_DATA);
}

static void test_default_file(void)
{
    quire_error e = {0};

    /* an error with no where gets the one given */
    quire_err(&e, QUIRE_EXIT_DATA, "segment rule: boom");
    quire_err_default_file(&e, "reports/r.yaml");
    CHECK_STR(e.file, "reports/r.yaml");
    CHECK(e.line == 0 && e.col == 0);
    CHECK(e.code == QUIRE_EXIT_DATA);
    CHECK_STR(text(&e), "reports/r.yaml: error: segment rule: boom");

    /* one that names its own file keeps it */
    quire_err_at(&e, QUIRE_EXIT_USAGE, "kpis/x.lua", 0, 0, "the script must return a table");
    quire_err_default_file(&e, "reports/r.yaml");
    CHECK_STR(text(&e), "kpis/x.lua: error: the script must return a table");

    quire_err(&e, QUIRE_EXIT_USAGE, "no plugin named \"cvs\"");
    quire_err_default_at(&e, "r.yaml", 9, 13);
    CHECK_STR(text(&e), "r.yaml:9:13: error: no plugin named \"cvs\"");
    quire_err_default_at(&e, "other.yaml", 1, 1);
    CHECK_STR(text(&e), "r.yaml:9:13: error: no plugin named \"cvs\"");

    /* nothing to give, or nowhere to give it */
    quire_err(&e, QUIRE_EXIT_USAGE, "m");
    quire_err_default_file(&e, NULL);
    quire_err_default_file(&e, "");
    CHECK(e.file[0] == '\0');
    quire_err_default_file(NULL, "r.yaml");
}

static void test_truncation(void)
{
    quire_error e = {0};
    char path[2000], small[16];

    memset(path, 'p', sizeof path - 1);
    path[sizeof path - 1] = '\0';
    quire_err_at(&e, QUIRE_EXIT_USAGE, path, 1, 2, "%s", path);
    CHECK(strlen(e.file) == sizeof e.file - 1);
    CHECK(strlen(e.msg) == sizeof e.msg - 1);
    CHECK(strlen(text(&e)) == sizeof e.file - 1 + strlen(":1:2: error: ") + sizeof e.msg - 1);
    quire_err_format(&e, small, sizeof small);
    CHECK(strlen(small) == sizeof small - 1);
}

int main(void)
{
    test_format();
    test_wrap();
    test_default_file();
    test_truncation();
    return check_done("error");
}
