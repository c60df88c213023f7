/*
 * test_outputs.c - the run's outputs: --format lists, the path each
 * format is written to, and workbook sheet names.
 */
#include <string.h>

#include "check.h"
#include "run.h"
#include "xlsx.h"

static void path_is(const char *out, unsigned fmt, unsigned set, const char *want)
{
    char *got = run_output_path(out, fmt, set);

    CHECK_STR(got, want);
    free(got);
}

static void test_paths(void)
{
    unsigned all = RUN_PDF | RUN_HTML | RUN_XLSX;

    path_is("out/r.pdf", RUN_PDF, RUN_PDF, "out/r.pdf");
    path_is("out/r.pdf", RUN_HTML, RUN_HTML, "out/r.html");
    path_is("out/r.pdf", RUN_XLSX, all, "out/r.xlsx");
    path_is("out/r.HTM", RUN_PDF, all, "out/r.pdf");
    path_is("out/r.xlsx", RUN_HTML, RUN_HTML | RUN_XLSX, "out/r.html");
    /* no known extension: as given alone, appended among several */
    path_is("/dev/stdout", RUN_HTML, RUN_HTML, "/dev/stdout");
    path_is("out/report", RUN_PDF, RUN_PDF | RUN_HTML, "out/report.pdf");
    path_is("out/report.v2", RUN_HTML, RUN_PDF | RUN_HTML, "out/report.v2.html");
    /* a dot in a folder's name is not an extension */
    path_is("out.pdf/report", RUN_HTML, all, "out.pdf/report.html");
    path_is("out/.pdf", RUN_HTML, all, "out/.pdf.html");
}

static void test_formats(void)
{
    quire_error err = {0};
    unsigned set = 0;

    CHECK(run_parse_formats("pdf", &set, &err) == 0 && set == RUN_PDF);
    CHECK(run_parse_formats("html,xlsx", &set, &err) == 0 && set == (RUN_HTML | RUN_XLSX));
    CHECK(run_parse_formats("pdf,pdf", &set, &err) == 0 && set == RUN_PDF);
    CHECK(run_parse_formats("pdf,docx", &set, &err) == -1);
    CHECK_CONTAINS(err.msg, "\"docx\"");
    CHECK(run_parse_formats("", &set, &err) == -1);
    CHECK(run_parse_formats("pdf,", &set, &err) == -1);
    CHECK(run_parse_formats("PDF", &set, &err) == -1);
}

static void name_is(const char *in, const char *want)
{
    char out[128];

    xlsx_sheet_name(out, sizeof out, in);
    CHECK_STR(out, want);
}

static void test_sheet_names(void)
{
    char out[128];

    name_is("Key figures", "Key figures");
    name_is("a[b]c:d*e?f/g\\h", "a b c d e f g h");
    name_is("Churn model: no order", "Churn model no order");
    name_is("  'quoted'  ", "quoted");
    name_is("", "Sheet");
    name_is(NULL, "Sheet");
    name_is("[]", "Sheet");
    /* cut at 31 characters, at the last word boundary when it is near */
    name_is("How is Customer Distribution Changing Across Segments?",
            "How is Customer Distribution");
    name_is("Abcdefghijklmnopqrstuvwyzabcdefghijk", "Abcdefghijklmnopqrstuvwyzabcdef");
    /* characters, not bytes: 31 two-byte letters fit */
    xlsx_sheet_name(out, sizeof out,
                    "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
                    "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
                    "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
                    "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9");
    CHECK(strlen(out) == 62);
}

int main(void)
{
    test_paths();
    test_formats();
    test_sheet_names();
    return check_done("outputs");
}
