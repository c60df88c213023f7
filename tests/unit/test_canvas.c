/*
 * test_canvas.c - the canvas interface: XML escaping, the SVG backend's
 * paths and text, and a chart drawn into SVG with hostile labels.
 */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "canvas.h"
#include "chart.h"
#include "check.h"
#include "text.h"
#include "util.h"

static char *escaped(const char *s, size_t len)
{
    strbuf b = {0};

    canvas_xml_escape(&b, s, len);
    sb_add(&b, "", 0);
    return b.s;
}

static void test_escape(void)
{
    char *e;

    e = escaped("<script>alert(1)</script>", 25);
    CHECK_STR(e, "&lt;script&gt;alert(1)&lt;/script&gt;");
    free(e);
    e = escaped("a & b \"c\" 'd'", 13);
    CHECK_STR(e, "a &amp; b &quot;c&quot; &#39;d&#39;");
    free(e);
    /* control characters become spaces, bad UTF-8 U+FFFD, text kept */
    e = escaped("a\001b\xff" "c\tZ\xC3\xA9", 9);
    CHECK_STR(e, "a b\xEF\xBF\xBD" "c\tZ\xC3\xA9");
    free(e);
    e = escaped("x\xEF\xBF\xBEy", 5); /* U+FFFE, a noncharacter */
    CHECK_STR(e, "x\xEF\xBF\xBDy");
    free(e);
    e = escaped("", 0);
    CHECK_STR(e, "");
    free(e);
}

static void test_svg_ops(canvas_metrics *m)
{
    canvas *cv = canvas_svg_new(m, 200, 100, "A <b> & c");
    canvas_font f = {0, 10, PDF_INK}, b = {1, 10, PDF_INK};
    const char *svg;
    double w, wb, fit;
    size_t len;

    canvas_fill_rect(cv, (quire_rgb){1, 0, 0}, 10, 20, 30, 40);
    canvas_dash(cv, 2, 2);
    canvas_line(cv, (quire_rgb){0, 0, 1}, 0.5, 0, 0, 200, 100);
    canvas_dash(cv, 0, 0);
    canvas_arc(cv, 100, 50, 20, 0, 90);
    canvas_line_to(cv, 100, 50);
    canvas_close_path(cv);
    canvas_fill(cv);
    w = canvas_text_width(cv, &f, "Revenue", 7);
    wb = canvas_text_width(cv, &b, "Revenue", 7);
    CHECK(w > 30 && w < 50); /* DejaVu Sans at 10 pt */
    CHECK(wb > w);
    /* CJK text is measured with the CJK face, loaded when first needed:
     * two ideographs are two ems */
    if (access(PDF_FONT_CJK, R_OK) == 0) {
        double cjk = canvas_text_width(cv, &f, "\xE5\xA3\xB2\xE4\xB8\x8A", 6);
        CHECK(cjk > 19 && cjk < 21);
    }
    canvas_text(cv, &f, 50, 10, CANVAS_LEFT, "1 < 2 & \"3\"", 11);
    fit = canvas_text_fit(cv, &f, 50, 30, CANVAS_LEFT, 30, "A rather long label", 19);
    CHECK(fit <= 30);
    canvas_text_fit_up(cv, &f, 8, 50, CANVAS_CENTER, 100, "Up", 2);
    svg = canvas_svg_finish(cv, &len);
    CHECK(len == strlen(svg));
    {
        const char *head = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 200 100\"";
        CHECK(strncmp(svg, head, strlen(head)) == 0);
    }
    CHECK_CONTAINS(svg, "aria-label=\"A &lt;b&gt; &amp; c\"");
    /* y flipped: a rectangle at y 20 of height 40 tops out at 100 - 60 */
    CHECK_CONTAINS(svg, "<path d=\"M10 80h30v-40h-30Z\" fill=\"#ff0000\"/>");
    CHECK_CONTAINS(svg, "d=\"M0 100 L200 0\" fill=\"none\" stroke=\"#0000ff\" stroke-width=\"0.5\" "
                        "stroke-dasharray=\"2 2\"/>");
    /* a quarter turn clockwise from 12 o'clock to 3 o'clock */
    CHECK_CONTAINS(svg, "d=\"M100 30 A20 20 0 0 1 120 50 L100 50Z\"");
    CHECK_CONTAINS(svg, ">1 &lt; 2 &amp; &quot;3&quot;</text>");
    CHECK_CONTAINS(svg, "\xE2\x80\xA6</text>");
    CHECK_CONTAINS(svg, "transform=\"rotate(-90 ");
    CHECK(strstr(svg, "</svg>") == svg + len - 6);
    CHECK(strstr(svg, "<b>") == NULL);
    canvas_free(cv);
}

static void test_svg_chart(canvas_metrics *m)
{
    static const char *cats[] = {"Jan <2024>", "Feb", "Mar"};
    static const char *series[] = {"<script>alert(1)</script>", "B&B"};
    static const double values[] = {1, 2, 3, 2, NAN, 4};
    doc_chart c = {0};
    canvas *cv;
    const char *svg;
    int kind;

    c.title = "t";
    c.ncats = 3;
    c.cats = cats;
    c.nseries = 2;
    c.series = series;
    c.values = values;
    c.decimals = -1;
    c.y_title = "Count & more";
    for (kind = DOC_CHART_LINE; kind <= DOC_CHART_HEATMAP; kind++) {
        c.kind = (doc_chart_kind)kind;
        cv = canvas_svg_new(m, 480, 220, series[0]);
        chart_draw(cv, &c, 0, 0, 480, 220);
        svg = canvas_svg_finish(cv, NULL);
        CHECK(strstr(svg, "<script") == NULL);
        CHECK(strstr(svg, "<2024>") == NULL);
        CHECK_CONTAINS(svg, "&lt;script&gt;");
        CHECK_CONTAINS(svg, "B&amp;B");
        CHECK_CONTAINS(svg, "<path ");
        canvas_free(cv);
    }
    /* the later forms: area, donut, bar_line, scatter, small multiples;
     * the donut and the scatter name their categories, not their series */
    c.y2_title = "Line <axis>";
    for (kind = DOC_CHART_AREA; kind <= DOC_CHART_MULTIPLES; kind++) {
        int by_cat = kind == DOC_CHART_DONUT || kind == DOC_CHART_SCATTER;

        c.kind = (doc_chart_kind)kind;
        cv = canvas_svg_new(m, 480, 220, series[0]);
        chart_draw(cv, &c, 0, 0, 480, 220);
        svg = canvas_svg_finish(cv, NULL);
        CHECK(strstr(svg, "<script") == NULL);
        CHECK(strstr(svg, "<2024>") == NULL);
        CHECK(strstr(svg, "<axis>") == NULL);
        CHECK_CONTAINS(svg, by_cat ? "Jan &lt;2024&gt;" : "B&amp;B");
        CHECK_CONTAINS(svg, "<path ");
        CHECK(strstr(svg, CHART_NO_DATA) == NULL);
        canvas_free(cv);
    }
    c.y2_title = NULL;
    {
        /* the charts of a value per customer: a histogram over its edges,
         * a box plot with outliers, a scatter of customers by group */
        static const double edges[] = {0, 10, 20, 30};
        static const double counts[] = {5, 3, 1, 2, 4, 0};
        static const double box[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                     1, 0, 1, 9, 9, 9};
        static const double outl[] = {40, -3};
        static const int outc[] = {0, 2};
        static const char *stats[] = {"lo", "q1", "md", "q3", "hi", "out", "n"};
        static const int grp[] = {0, 1, 1};
        static const char *groups[] = {"VIP <a>", "Regular"};
        static const quire_rgb gcol[] = {{0.5, 0.2, 0.6}, {0.1, 0.4, 0.7}};
        doc_chart h = c, b = c, sc = c;

        h.kind = DOC_CHART_HISTOGRAM;
        h.values = counts;
        h.edges = edges;
        h.unit2 = QUIRE_UNIT_NUMBER;
        h.x_title = "Score <x>";
        b.kind = DOC_CHART_BOX;
        b.nseries = 7;
        b.series = stats;
        b.values = box;
        b.npoints = 2;
        b.point_values = outl;
        b.point_cat = outc;
        sc.kind = DOC_CHART_SCATTER;
        sc.cat_group = grp;
        sc.ngroups = 2;
        sc.groups = groups;
        sc.group_colors = gcol;
        {
            const doc_chart *forms[] = {&h, &b, &sc};
            const char *want[] = {"B&amp;B", "Jan &lt;2024&gt;", "VIP &lt;a&gt;"};
            size_t i;

            for (i = 0; i < 3; i++) {
                cv = canvas_svg_new(m, 480, 220, NULL);
                chart_draw(cv, forms[i], 0, 0, 480, 220);
                svg = canvas_svg_finish(cv, NULL);
                CHECK(strstr(svg, "<a>") == NULL);
                CHECK(strstr(svg, "<x>") == NULL);
                CHECK_CONTAINS(svg, want[i]);
                CHECK_CONTAINS(svg, "<path ");
                CHECK(strstr(svg, CHART_NO_DATA) == NULL);
                canvas_free(cv);
            }
        }
    }
    /* no data: the message, no axes */
    c.kind = DOC_CHART_LINE;
    c.ncats = 0;
    cv = canvas_svg_new(m, 480, 220, NULL);
    chart_draw(cv, &c, 0, 0, 480, 220);
    svg = canvas_svg_finish(cv, NULL);
    CHECK_CONTAINS(svg, CHART_NO_DATA);
    CHECK(strstr(svg, "<path") == NULL);
    canvas_free(cv);
}

int main(void)
{
    quire_error err = {0};
    canvas_metrics *m = canvas_metrics_new(&err);

    test_escape();
    CHECK(m != NULL);
    if (m) {
        test_svg_ops(m);
        test_svg_chart(m);
    }
    canvas_metrics_free(m);
    canvas_free(NULL);
    return check_done("canvas");
}
