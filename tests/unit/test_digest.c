/*
 * test_digest.c - the SHA-256 of a report's inputs: known vectors, files
 * that cannot be read, and the order (the spec first, then data files,
 * segment rules, KPI scripts, Quire's Lua library and insight scripts, each
 * insight once).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "digest.h"
#include "fixture.h"
#include "sha256.h"
#include "spec.h"

/* Known digests (FIPS 180-2 examples, and one computed with sha256sum). */
#define SHA_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA_448BITS "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
#define SHA_MILLION_A "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
/* 3,000,000 times "a": more than one read of the hashing buffer (1 MiB). */
#define SHA_3M_A "2a152c894398719c0570f83fac34ac03a0f6e8e474b995c2403aa5434f7b9dd4"

static const char spec_text[] =
    "title: Digests\n"
    "parameters:\n"
    "  data: { type: path, default: data }\n"
    "periods: { from: 2024-01, to: 2024-02 }\n"
    "sources:\n"
    "  customers: { plugin: csv, path: \"${data}/customers.csv\", columns: { id: integer } }\n"
    "  orders: { plugin: csv, path: \"${data}/orders.csv\", columns: { id: integer } }\n"
    "  engagement: { plugin: csv, path: \"${data}/missing.csv\", columns: { id: integer } }\n"
    "  folder: { plugin: csv, path: \"${data}\", columns: { id: integer } }\n"
    "  crm: { plugin: crm_rest, url: \"http://127.0.0.1:1/\", columns: { id: integer } }\n"
    "entities: { source: customers, key: id }\n"
    "segments: { rule: rules/rule.lua, list: [A, B] }\n"
    "segmentations:\n"
    "  value: { rule: rules/value.lua, list: [High, Low] }\n"
    "kpis:\n"
    "  count: kpis/count.lua\n"
    "  big: kpis/big.lua\n"
    "sections:\n"
    "  - title: S\n"
    "    blocks:\n"
    "      - questions:\n"
    "          - ask: Q1\n"
    "            insight: insights/trend.lua\n"
    "          - No answer\n"
    "          - ask: Q2\n"
    "            insight: insights/trend.lua\n"
    "          - ask: Q3\n"
    "            insight: kpis/count.lua\n"
    "  - title: T\n"
    "    blocks:\n"
    "      - questions:\n"
    "          - ask: Q4\n"
    "            insight: insights/gap.lua\n"
    "          - ask: Q5\n"
    "            insight: insights/trend.lua\n";

static void put_a(const char *name, size_t n)
{
    char *path = xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    size_t i;

    if (f) {
        for (i = 0; i < n; i++)
            fputc('a', f);
        fclose(f);
    }
    CHECK(f != NULL);
    free(path);
}

static void mkdir_in(const char *name)
{
    char *path = xasprintf("%s/%s", dir, name);
    CHECK(mkdir(path, 0777) == 0);
    free(path);
}

static void check_path(const input_digest *d, const char *name)
{
    char *want = xasprintf("%s/%s", dir, name);
    CHECK_STR(d->path, want);
    free(want);
}

static void test_sha256_file(void)
{
    char hex[65], *path;

    fixture_put("abc.txt", "abc");
    path = xasprintf("%s/abc.txt", dir);
    memset(hex, 'x', sizeof hex);
    CHECK(sha256_file(path, hex, NULL) == 0);
    CHECK_STR(hex, SHA_ABC);
    free(path);

    put_a("million.txt", 1000000);
    path = xasprintf("%s/million.txt", dir);
    CHECK(sha256_file(path, hex, NULL) == 0);
    CHECK_STR(hex, SHA_MILLION_A);
    free(path);

    memset(hex, 'x', sizeof hex);
    CHECK(sha256_file("/nonexistent/file", hex, NULL) == -1);
    CHECK_STR(hex, "");
    memset(hex, 'x', sizeof hex);
    CHECK(sha256_file(dir, hex, NULL) == -1); /* a folder cannot be read as a file */
    CHECK_STR(hex, "");

    /* Special files are never read (a device never ends, a FIFO blocks): the
     * alarm fails the test instead of hanging it if they were. */
    alarm(30);
    memset(hex, 'x', sizeof hex);
    CHECK(sha256_file("/dev/zero", hex, NULL) == -1);
    CHECK_STR(hex, "");
    path = xasprintf("%s/fifo", dir);
    CHECK(mkfifo(path, 0600) == 0);
    memset(hex, 'x', sizeof hex);
    CHECK(sha256_file(path, hex, NULL) == -1);
    CHECK_STR(hex, "");
    free(path);
    alarm(0);
}

static void test_inputs(void)
{
    quire_error err = {0};
    char *spec_path = xasprintf("%s/spec.yaml", dir), spec_hex[65], lib_hex[65];
    spec *s;
    input_digests *dg;
    const input_digest *d, *again;
    size_t n = 0, n2 = 0;

    fixture_put("spec.yaml", spec_text);
    mkdir_in("data");
    mkdir_in("rules");
    mkdir_in("kpis");
    mkdir_in("insights");
    fixture_put("data/customers.csv", "abc");
    fixture_put("data/orders.csv", "");
    fixture_put("rules/rule.lua", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
    put_a("rules/value.lua", 1000000);
    fixture_put("kpis/count.lua", "abc");
    put_a("kpis/big.lua", 3000000);
    fixture_put("insights/trend.lua", "");
    fixture_put("insights/gap.lua", "abc");

    s = spec_load(spec_path, NULL, 0, &err);
    CHECK(s != NULL);
    if (!s) {
        fprintf(stderr, "%s\n", err.msg);
        free(spec_path);
        return;
    }
    dg = digests_start(s, NULL);
    CHECK(dg != NULL);
    d = digests_wait(dg, &n);
    CHECK(n == 12);
    if (n == 12) {
        /* The spec first, with its own hash. */
        CHECK_STR(d[0].path, spec_path);
        CHECK(sha256_file(spec_path, spec_hex, NULL) == 0);
        CHECK_STR(d[0].hex, spec_hex);
        CHECK(strlen(d[0].hex) == 64 && strspn(d[0].hex, "0123456789abcdef") == 64);
        /* The sources' files in the spec's order, relative to its folder;
         * a source without a path (crm) has none. */
        check_path(&d[1], "data/customers.csv");
        CHECK_STR(d[1].hex, SHA_ABC);
        check_path(&d[2], "data/orders.csv");
        CHECK_STR(d[2].hex, SHA_EMPTY);
        check_path(&d[3], "data/missing.csv");
        CHECK_STR(d[3].hex, ""); /* cannot be read: empty */
        check_path(&d[4], "data");
        CHECK_STR(d[4].hex, "");
        /* The segment rules, first segmentation first. */
        check_path(&d[5], "rules/rule.lua");
        CHECK_STR(d[5].hex, SHA_448BITS);
        check_path(&d[6], "rules/value.lua");
        CHECK_STR(d[6].hex, SHA_MILLION_A);
        /* The KPI scripts. */
        check_path(&d[7], "kpis/count.lua");
        CHECK_STR(d[7].hex, SHA_ABC);
        check_path(&d[8], "kpis/big.lua");
        CHECK_STR(d[8].hex, SHA_3M_A);
        /* Quire's Lua library, which every script may call (here the
         * source tree's, which fixture_open names in QUIRE_LUA_LIB). */
        CHECK_STR(d[9].path, getenv("QUIRE_LUA_LIB"));
        CHECK(sha256_file(d[9].path, lib_hex, NULL) == 0);
        CHECK_STR(d[9].hex, lib_hex);
        /* Insight scripts once each, in the order first used; one that is
         * also a KPI script is not repeated. */
        check_path(&d[10], "insights/trend.lua");
        CHECK_STR(d[10].hex, SHA_EMPTY);
        check_path(&d[11], "insights/gap.lua");
        CHECK_STR(d[11].hex, SHA_ABC);
    } else {
        size_t i;
        for (i = 0; i < n; i++)
            fprintf(stderr, "  %s %s\n", d[i].path, d[i].hex);
    }
    /* Waiting again gives the same answer. */
    again = digests_wait(dg, &n2);
    CHECK(again == d && n2 == n);
    digests_free(dg);

    /* Freed without waiting: it waits itself. */
    dg = digests_start(s, NULL);
    digests_free(dg);
    digests_free(NULL);
    spec_free(s);

    /* A data folder given with --param: the paths follow it. */
    {
        char *other = xasprintf("%s/data", dir);
        spec_override ov[] = {{"data", other}};
        s = spec_load(spec_path, ov, 1, &err);
        CHECK(s != NULL);
        if (s) {
            dg = digests_start(s, NULL);
            d = digests_wait(dg, &n);
            CHECK(n == 12);
            if (n > 1) {
                char *want = xasprintf("%s/customers.csv", other);
                CHECK_STR(d[1].path, want);
                CHECK_STR(d[1].hex, SHA_ABC);
                free(want);
            }
            digests_free(dg);
        }
        spec_free(s);
        free(other);
    }
    free(spec_path);
}

/* A file written to, cut or replaced after it was hashed (while the run read
 * it): digests_check names it, so no report is made over a torn file. */
static void test_changed(void)
{
    static const char text[] =
        "title: Changed\n"
        "periods: { from: 2024-01, to: 2024-02 }\n"
        "sources:\n"
        "  customers: { plugin: csv, path: ch/customers.csv, columns: { id: integer } }\n"
        "  orders: { plugin: csv, path: ch/orders.csv, columns: { id: integer } }\n"
        "entities: { source: customers, key: id }\n"
        "segments: { rule: rules/rule.lua, list: [A, B] }\n"
        "kpis:\n"
        "  count: kpis/count.lua\n"
        "sections:\n"
        "  - title: S\n"
        "    blocks:\n"
        "      - questions: [Q]\n";
    quire_error err = {0};
    char *spec_path = xasprintf("%s/changed.yaml", dir);
    char *orders = xasprintf("%s/ch/orders.csv", dir), *moved = xasprintf("%s.new", orders);
    spec *s;
    input_digests *dg;
    FILE *f;

    fixture_put("changed.yaml", text);
    mkdir_in("ch");
    fixture_put("ch/customers.csv", "id\n1\n");
    fixture_put("ch/orders.csv", "id\n1\n");
    s = spec_load(spec_path, NULL, 0, &err);
    CHECK(s != NULL);
    if (!s) {
        fprintf(stderr, "%s\n", err.msg);
        goto out;
    }
    /* unchanged: fine, and again */
    dg = digests_start(s, NULL);
    CHECK(digests_check(dg, &err) == 0);
    CHECK(digests_check(dg, &err) == 0);
    /* appended to */
    f = fopen(orders, "ab");
    CHECK(f != NULL);
    if (f) {
        fputs("2\n", f);
        fclose(f);
    }
    memset(&err, 0, sizeof err);
    CHECK(digests_check(dg, &err) == -1);
    CHECK(err.code == QUIRE_EXIT_TRANSIENT);
    CHECK_STR(err.file, orders);
    CHECK_STR(err.msg, "the file changed while the report was made (5 bytes when it was read, "
                       "7 now); run again once it is complete");
    digests_free(dg);

    /* replaced by another file of the same size (a new inode) */
    dg = digests_start(s, NULL);
    CHECK(digests_check(dg, &err) == 0);
    f = fopen(moved, "wb");
    if (f) {
        fputs("id\n9\n8\n", f);
        fclose(f);
    }
    CHECK(f != NULL && rename(moved, orders) == 0);
    memset(&err, 0, sizeof err);
    CHECK(digests_check(dg, &err) == -1);
    CHECK_STR(err.file, orders);
    CHECK_CONTAINS(err.msg, "the file changed while the report was made (it was written or "
                            "replaced)");
    digests_free(dg);

    /* removed */
    dg = digests_start(s, NULL);
    CHECK(digests_check(dg, &err) == 0);
    CHECK(unlink(orders) == 0);
    memset(&err, 0, sizeof err);
    CHECK(digests_check(dg, &err) == -1);
    CHECK_STR(err.file, orders);
    CHECK_CONTAINS(err.msg, "the file went away while the report was made");
    digests_free(dg);
    spec_free(s);
out:
    free(spec_path);
    free(orders);
    free(moved);
}

int main(void)
{
    if (fixture_open("/tmp/quire-digest-"))
        return 2;
    test_sha256_file();
    test_inputs();
    test_changed();
    fixture_close();
    return check_done("digest");
}
