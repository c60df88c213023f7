# Quire - build, test, demo, bench, install.
#
#   make            build ./quire and the plugins (plugins/*.so)
#   make tests      build the unit test programs (make test builds them too)
#   make demo       install what is missing, build, render the stock reports into out/
#   make demo-crm   the same report with customers from a local CRM (crm_rest)
#   make demo-pg    the same report from a local PostgreSQL server (postgres)
#   make demo-clickhouse  the same from a local two-shard ClickHouse cluster (clickhouse)
#   make test       install what is missing, build, run every suite
#   make check-asan the same suites under AddressSanitizer and UBSan
#   make check-oom  the allocation-failure sweep over the stock report (OOM_STRIDE=k)
#   make bench      the 5M-order benchmark (see docs/performance.md)
#   make bench-db   the same workload from PostgreSQL and ClickHouse, with and without pushdown
#   make bench-serve quire serve under load: 50 clients on a cached report, 20 renders at once
#   make fuzz       every fuzz target under libFuzzer, FUZZ_SECONDS each (docs/fuzzing.md)
#   make install    PREFIX=/usr/local DESTDIR=

VERSION  := 0.1.0
PREFIX   ?= /usr/local
DESTDIR  ?=
OUT      ?= .
OBJ      ?= build

CC       ?= cc
OPT      ?= -O2
WARN     := -Wall -Wextra -Wshadow -Wundef -Wwrite-strings -Wstrict-prototypes \
            -Wmissing-prototypes -Wold-style-definition -Wformat=2 -Wno-format-nonliteral
CFLAGS   ?= $(OPT) -g
# GCC 12 reports false "null format string" warnings under UBSan's checks.
SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer -Wno-format-truncation
SAN_FLAGS := $(if $(SAN),$(SANITIZE))
# Linked: what every run needs. Loaded on first use (core/base/dynlib.h):
# libcurl (delivery by email or webhook), ICU (a report's locale) and
# libmicrohttpd (quire serve), whose loading would cost every run about
# 16 ms; their headers are compiled against, their sonames read here.
PKGS     := lua5.4 yaml-0.1 jansson sqlite3 libcrypto gsl xlsxwriter
LAZY_PKGS := libcurl icu-uc icu-i18n libmicrohttpd
DEP_CFLAGS := $(shell pkg-config --cflags $(PKGS) $(LAZY_PKGS) 2>/dev/null)
DEP_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lhpdf -lz -lm -ldl -pthread
soname = $(shell objdump -p $(shell pkg-config --variable=libdir $(1) 2>/dev/null)/$(2) \
           2>/dev/null | awk '$$1 == "SONAME" {print $$2}')
SONAMES := -DQUIRE_SONAME_CURL='"$(call soname,libcurl,libcurl.so)"' \
           -DQUIRE_SONAME_ICU='"$(call soname,icu-i18n,libicui18n.so)"' \
           -DQUIRE_SONAME_MHD='"$(call soname,libmicrohttpd,libmicrohttpd.so)"'
# The core is built in wings, each a folder of core/, each allowed to include
# only itself and the wings below it (docs/internals.md):
#   base < spec < engine < render < run < sched < serve < cli
# A wing's compile rule gets -I for exactly those, so an include that points
# back up does not build. core/include (quire/plugin.h, the plugin contract,
# which includes nothing of the core) is below them all: its date helpers are
# the core's too.
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SAN_FLAGS) $(DEP_CFLAGS) \
               -DQUIRE_VERSION='"$(VERSION)"' -DQUIRE_LIBDIR='"$(PREFIX)/lib/quire"' \
               -DQUIRE_DATADIR='"$(PREFIX)/share/quire"' $(SONAMES)
WINGS    := base spec engine render run sched serve cli
INC_base   := -Icore/base -Icore/include
INC_spec   := $(INC_base) -Icore/spec
INC_engine := $(INC_spec) -Icore/engine
INC_render := $(INC_engine) -Icore/render
INC_run    := $(INC_render) -Icore/run
INC_sched  := $(INC_run) -Icore/sched
INC_serve  := $(INC_sched) -Icore/serve
INC_cli    := $(INC_serve) -Icore/cli -Itools/sample
INC_ALL    := $(INC_cli)
LDFLAGS  ?=
ALL_LDFLAGS := $(LDFLAGS) $(SAN_FLAGS)

CORE_SRC  := $(filter-out core/cli/main.c,$(foreach w,$(WINGS),$(wildcard core/$(w)/*.c)))
CORE_OBJ  := $(CORE_SRC:core/%.c=$(OBJ)/core/%.o)
SAMPLE_OBJ := $(OBJ)/tools/sample/sample.o
# plugins/common holds sources compiled into several plugins, not a plugin.
PLUGINS   := $(filter-out common,$(notdir $(patsubst %/,%,$(dir $(wildcard plugins/*/*.c)))))
PLUGIN_SO := $(sort $(PLUGINS:%=$(OUT)/plugins/%.so))
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(OBJ)/tests/%)
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN  := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=$(OBJ)/tests/test_fuzz_%)
DEPFILES  := $(CORE_OBJ:.o=.d) $(OBJ)/core/cli/main.d $(SAMPLE_OBJ:.o=.d) \
             $(UNIT_BIN:=.d) $(FUZZ_BIN:=.d)

.PHONY: all tests deps demo demo-crm demo-pg demo-clickhouse test test-run check-asan check-oom bench bench-db \
        bench-serve \
        clean install uninstall
all: $(OUT)/quire $(PLUGIN_SO)

# Quire's Lua library is found next to the program (scripts/lib/quire.lua),
# or under share/quire once installed, and the stock KPIs that quire init
# copies beside it (scripts/kpis): a program built elsewhere than here
# (OUT=build/asan) gets a copy of both beside it.
LUA_LIB := scripts/lib/quire.lua
STOCK_KPIS := $(wildcard scripts/kpis/*.lua)
ifneq ($(abspath $(OUT)),$(abspath .))
all: $(OUT)/$(LUA_LIB) $(STOCK_KPIS:%=$(OUT)/%)
$(OUT)/scripts/%: scripts/%
	@mkdir -p $(@D)
	cp $< $@
endif
tests: $(UNIT_BIN) $(FUZZ_BIN)

deps:
	@./scripts/install-deps.sh

# One rule per wing: its own -I set; header dependencies from the compiler.
define wing_rule
$$(OBJ)/core/$(1)/%.o: core/$(1)/%.c
	@mkdir -p $$(@D)
	$$(CC) $$(BASE_CFLAGS) $$(INC_$(1)) -MMD -MP -c -o $$@ $$<
endef
$(foreach w,$(WINGS),$(eval $(call wing_rule,$(w))))

# The sample-data generator is a tool, not part of the library: it uses the
# base wing only, and is linked into the program and its own test.
$(OBJ)/tools/sample/%.o: tools/sample/%.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(INC_base) -Itools/sample -MMD -MP -c -o $@ $<

$(OBJ)/libquire.a: $(CORE_OBJ)
	ar rcs $@ $^

# FAULT=1 (make check-oom): every allocation of Quire's own code goes through
# tests/oom/fault.c, which can fail the n-th one.
FAULT_OBJ := $(if $(FAULT),$(OBJ)/tests/oom/fault.o)
comma := ,
FAULT_LDFLAGS := $(if $(FAULT),-Wl$(comma)--wrap=malloc$(comma)--wrap=calloc$(comma)--wrap=realloc)

$(OUT)/quire: $(OBJ)/core/cli/main.o $(SAMPLE_OBJ) $(OBJ)/libquire.a $(FAULT_OBJ)
	@mkdir -p $(OUT)
	$(CC) $(ALL_LDFLAGS) $(FAULT_LDFLAGS) -o $@ $^ $(DEP_LIBS)

$(OBJ)/tests/oom/fault.o: tests/oom/fault.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -c -o $@ $<

# Plugins: position-independent, hidden symbols but the one entry point, the
# contract header alone, and every symbol resolved at link time (-z defs): a
# plugin links against nothing of the core.
.SECONDEXPANSION:
$(OUT)/plugins/%.so: $$(wildcard plugins/$$*/*.c plugins/$$*/*.h) core/include/quire/plugin.h
	@mkdir -p $(OUT)/plugins
	$(CC) $(BASE_CFLAGS) -Icore/include $(PLUGIN_CFLAGS) -fPIC -fvisibility=hidden -shared -Wl,-z,defs \
	  $(SAN_FLAGS) -o $@ $(filter %.c,$^) $(PLUGIN_LIBS) -lm

$(OBJ)/tests/%: tests/unit/%.c $(OBJ)/libquire.a | $(OBJ)/tests
	$(CC) $(BASE_CFLAGS) $(INC_ALL) -Itests/unit -MMD -MP $(ALL_LDFLAGS) -o $@ $< $(EXTRA_SRC) \
	  $(OBJ)/libquire.a $(DEP_LIBS)

# Libraries a plugin links (it never links the core).
$(OUT)/plugins/crm_rest.so: PLUGIN_LIBS = -lcurl -ljansson
$(OUT)/plugins/postgres.so: PLUGIN_LIBS = -lpq
$(OUT)/plugins/postgres.so: PLUGIN_CFLAGS = $(shell pkg-config --cflags libpq 2>/dev/null)
$(OUT)/plugins/clickhouse.so: PLUGIN_LIBS = -lcurl

# Sources compiled into more than one plugin (plugins/common): each plugin
# that uses them gets its own copy, so it stays one self-contained .so.
SQL_COMMON := plugins/common/sql.c plugins/common/sql.h
DB_COMMON  := $(SQL_COMMON) plugins/common/db_source.c plugins/common/db_source.h
$(OUT)/plugins/postgres.so $(OUT)/plugins/clickhouse.so: $(DB_COMMON)
HTTP_COMMON := plugins/common/http.c plugins/common/http.h
$(OUT)/plugins/clickhouse.so $(OUT)/plugins/crm_rest.so: $(HTTP_COMMON)

# Unit tests that exercise a plugin's internals compile its sources in.
$(OBJ)/tests/test_csv: EXTRA_SRC = plugins/csv/csv_parse.c
$(OBJ)/tests/test_csv: plugins/csv/csv_parse.c
$(OBJ)/tests/test_crm_rest: EXTRA_SRC = plugins/crm_rest/crm_value.c
$(OBJ)/tests/test_crm_rest: plugins/crm_rest/crm_value.c
$(OBJ)/tests/test_pg_sql: EXTRA_SRC = plugins/postgres/pg_sql.c plugins/common/sql.c
$(OBJ)/tests/test_pg_sql: plugins/postgres/pg_sql.c $(SQL_COMMON)
$(OBJ)/tests/test_ch_sql: EXTRA_SRC = plugins/clickhouse/ch_sql.c plugins/common/sql.c
$(OBJ)/tests/test_ch_sql: plugins/clickhouse/ch_sql.c $(SQL_COMMON)
$(OBJ)/tests/test_sample: EXTRA_SRC = $(SAMPLE_OBJ)
$(OBJ)/tests/test_sample: $(SAMPLE_OBJ)

# Fuzz targets (tests/fuzz/fuzz_NAME.c): by default a main() that replays
# the corpus tests/fuzz/corpus/NAME (run by make test); `make fuzz` builds
# them with clang's libFuzzer instead (docs/fuzzing.md).
FUZZ_EXTRA_csv := plugins/csv/csv_parse.c
FUZZ_EXTRA_crm := plugins/crm_rest/crm_value.c
$(OBJ)/tests/test_fuzz_%: tests/fuzz/fuzz_%.c $$(FUZZ_EXTRA_$$*) $(OBJ)/libquire.a | $(OBJ)/tests
	$(CC) $(BASE_CFLAGS) $(INC_ALL) -MMD -MP $(ALL_LDFLAGS) -o $@ $< $(FUZZ_EXTRA_$*) \
	  $(OBJ)/libquire.a $(DEP_LIBS)

# make fuzz: the core built again by clang with coverage and sanitizers in
# build/fuzz/obj, each target linked with libFuzzer and run FUZZ_SECONDS
# (FUZZ_TARGETS picks some). New inputs go to build/fuzz/corpus/NAME, a
# crash to build/fuzz/crash-*; make fuzz-merge minimises the new inputs
# into tests/fuzz/corpus/NAME (keeping its regress-* files).
FUZZ_NAMES   := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZ_SECONDS ?= 600
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_OBJ     := build/fuzz/obj
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE -g -O1 -DQUIRE_LIBFUZZER $(FUZZ_SAN) $(INC_ALL) $(DEP_CFLAGS)
.PHONY: fuzz fuzz-build fuzz-merge
fuzz-build:
	@./scripts/install-deps.sh fuzz
	@$(MAKE) --no-print-directory CC=clang OBJ=$(FUZZ_OBJ) CFLAGS="-g -O1" \
	  SANITIZE="$(FUZZ_SAN) -fsanitize=fuzzer-no-link" SAN=1 $(FUZZ_OBJ)/libquire.a
	@for t in $(FUZZ_TARGETS); do \
	  echo "clang -o build/fuzz/fuzz_$$t"; \
	  clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o build/fuzz/fuzz_$$t tests/fuzz/fuzz_$$t.c \
	    $$(case $$t in csv) echo $(FUZZ_EXTRA_csv);; crm) echo $(FUZZ_EXTRA_crm);; esac) \
	    $(FUZZ_OBJ)/libquire.a $(DEP_LIBS) || exit 1; \
	done

fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p build/fuzz/corpus/$$t; \
	  dict=; [ -f tests/fuzz/$$t.dict ] && dict=-dict=tests/fuzz/$$t.dict; \
	  echo "fuzz_$$t: $(FUZZ_SECONDS) s"; \
	  build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=60 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix=build/fuzz/ $$dict \
	    build/fuzz/corpus/$$t tests/fuzz/corpus/$$t || exit 1; \
	done

# The smallest set of inputs under FUZZ_MERGE_MAX bytes that covers the edges
# the corpus and the new inputs cover, beyond those of the regress-* files
# (and, for spec, the stock reports that its replay reads too).
FUZZ_MERGE_MAX ?= 6k
fuzz-merge:
	@for t in $(FUZZ_TARGETS); do \
	  rm -rf build/fuzz/merged/$$t build/fuzz/pool/$$t; \
	  mkdir -p build/fuzz/merged/$$t build/fuzz/pool/$$t build/fuzz/corpus/$$t; \
	  find tests/fuzz/corpus/$$t build/fuzz/corpus/$$t -type f ! -name 'regress-*' \
	    -size -$(FUZZ_MERGE_MAX) -exec cp {} build/fuzz/pool/$$t/ \; ; \
	  cp tests/fuzz/corpus/$$t/regress-* build/fuzz/merged/$$t/ 2>/dev/null; \
	  if [ $$t = spec ]; then cp reports/*.yaml build/fuzz/merged/$$t/; fi; \
	  build/fuzz/fuzz_$$t -set_cover_merge=1 -use_counters=0 build/fuzz/merged/$$t \
	    build/fuzz/pool/$$t 2>&1 | grep MERGE-OUTER || exit 1; \
	  rm -f build/fuzz/merged/$$t/regress-* build/fuzz/merged/$$t/*.yaml; \
	  find tests/fuzz/corpus/$$t -type f ! -name 'regress-*' -delete; \
	  cp build/fuzz/merged/$$t/* tests/fuzz/corpus/$$t/; \
	done

$(OBJ)/tests:
	@mkdir -p $@

demo: deps
	@$(MAKE) --no-print-directory all
	@test -f data/sample/spend.csv || ./quire sample --out data/sample
	./quire run reports/monthly_segments.yaml -o out/monthly_segments.pdf
	./quire run reports/kpi_scorecard.yaml -o out/kpi_scorecard.pdf
	./quire run reports/kpi_linkage.yaml -o out/kpi_linkage.pdf
	./quire run reports/online_retail.yaml -o out/online_retail.pdf
	./quire run reports/rfm_cohorts.yaml -o out/rfm_cohorts.pdf
	@echo "demo: wrote out/monthly_segments.pdf, out/kpi_scorecard.pdf, out/kpi_linkage.pdf," \
	  "out/online_retail.pdf, out/rfm_cohorts.pdf"

# The CRM-backed report: a local CRM on 127.0.0.1 serves the sample customers
# (tests/fixtures/crm_server.py), the report reads them through crm_rest.
demo-crm: deps
	@$(MAKE) --no-print-directory all
	@test -f data/sample/spend.csv || ./quire sample --out data/sample
	@mkdir -p out
	@rm -f out/.crm_server.port
	@CRM_TOKEN=$${CRM_TOKEN:-demo-$$$$-$$(date +%s)}; export CRM_TOKEN; \
	  python3 tests/fixtures/crm_server.py --customers data/sample/customers.csv \
	    --port-file out/.crm_server.port & srv=$$!; \
	  trap 'kill $$srv 2>/dev/null; rm -f out/.crm_server.port' EXIT; \
	  i=0; while [ ! -s out/.crm_server.port ] && [ $$i -lt 100 ]; do sleep 0.1; i=$$((i + 1)); done; \
	  ./quire run reports/monthly_segments_crm.yaml \
	    --param crm_url=http://127.0.0.1:$$(cat out/.crm_server.port) -o out/monthly_segments_crm.pdf
	@echo "demo-crm: wrote out/monthly_segments_crm.pdf"

# The PostgreSQL-backed report: a throwaway server on 127.0.0.1 in a
# temporary folder (tests/fixtures/pg_server.sh) loaded with the sample data;
# the report runs its facts step in the database (pushdown); the server is
# stopped and removed after.
demo-pg: deps
	@$(MAKE) --no-print-directory all
	@test -f data/sample/spend.csv || ./quire sample --out data/sample
	@mkdir -p out
	@rm -f out/monthly_segments_pg.pdf; pgd=$$(mktemp -d); chmod 711 $$pgd; \
	  trap 'sh tests/fixtures/pg_server.sh stop '$$pgd'/pg; rm -rf '$$pgd EXIT; \
	  port=$$(sh tests/fixtures/pg_server.sh start $$pgd/pg) && \
	  sh tests/fixtures/pg_server.sh load $$pgd/pg data/sample && \
	  PGPASSWORD=$$(cat $$pgd/pg/password) ./quire run reports/monthly_segments_pg.yaml -v \
	    --param conninfo="host=127.0.0.1 port=$$port dbname=quire user=quire" \
	    -o out/monthly_segments_pg.pdf 2>$$pgd/log; rc=$$?; \
	  grep -E 'postgres|fact query|error' $$pgd/log; exit $$rc
	@echo "demo-pg: wrote out/monthly_segments_pg.pdf"

# The ClickHouse-backed report: a throwaway two-shard cluster on 127.0.0.1 in
# a temporary folder (tests/fixtures/ch_server.sh), Distributed tables over a
# MergeTree table on each shard, loaded with the sample data; the report runs
# its facts step in the cluster (pushdown); the servers are stopped and
# removed after.
demo-clickhouse: deps
	@$(MAKE) --no-print-directory all
	@test -f data/sample/spend.csv || ./quire sample --out data/sample
	@mkdir -p out
	@rm -f out/monthly_segments_clickhouse.pdf; chd=$$(mktemp -d); \
	  trap 'sh tests/fixtures/ch_server.sh stop '$$chd'/ch; rm -rf '$$chd EXIT; \
	  port=$$(sh tests/fixtures/ch_server.sh start $$chd/ch) && \
	  sh tests/fixtures/ch_server.sh load $$chd/ch data/sample && \
	  CLICKHOUSE_PASSWORD=$$(cat $$chd/ch/password) ./quire run reports/monthly_segments_clickhouse.yaml \
	    -v --param url=http://127.0.0.1:$$port -o out/monthly_segments_clickhouse.pdf 2>$$chd/log; \
	  rc=$$?; grep -E 'clickhouse|fact query|error' $$chd/log; exit $$rc
	@echo "demo-clickhouse: wrote out/monthly_segments_clickhouse.pdf"

test: deps
	@$(MAKE) --no-print-directory all tests
	@$(MAKE) --no-print-directory test-run

test-run:
	@QUIRE=$(OUT)/quire UNIT_DIR=$(OBJ)/tests ./tests/run.sh

check-asan: deps
	@$(MAKE) --no-print-directory OUT=build/asan OBJ=build/asan/obj SAN=1 OPT=-O1 FAULT=1 all tests
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  $(MAKE) --no-print-directory OUT=build/asan OBJ=build/asan/obj test-run
	@QUIRE=build/asan/quire OOM_STRIDE=500 sh tests/oom/sweep.sh

# The allocation-failure sweep (tests/oom/sweep.sh): the stock report with
# its n-th allocation failed, for every n up to the total (OOM_STRIDE=k: every
# k-th); each run must end cleanly. OOM_SAN=address (the default) runs the ASan
# build of check-asan, which links tests/oom/fault.c; OOM_SAN=leak a build with
# LeakSanitizer and UBSan only (build/oom-leak): no check of each access, but
# leaks, crashes and undefined behaviour caught at a fraction of the cost, so
# the sweep over every n fits in an hour.
OOM_STRIDE ?= 1
OOM_SAN ?= address
OOM_OUT := $(if $(filter leak,$(OOM_SAN)),build/oom-leak,build/asan)
OOM_SANITIZE := $(if $(filter leak,$(OOM_SAN)),SANITIZE="-fsanitize=leak$(comma)undefined -fno-omit-frame-pointer -Wno-format-truncation")
check-oom: deps
	@$(MAKE) --no-print-directory OUT=$(OOM_OUT) OBJ=$(OOM_OUT)/obj SAN=1 OPT=-O1 FAULT=1 $(OOM_SANITIZE) all
	@QUIRE=$(OOM_OUT)/quire OOM_STRIDE=$(OOM_STRIDE) sh tests/oom/sweep.sh

bench: deps
	@$(MAKE) --no-print-directory all
	./bench/bench.sh

bench-db: deps
	@$(MAKE) --no-print-directory all
	./bench/bench_db.sh

bench-serve: deps
	@$(MAKE) --no-print-directory all
	./bench/serve.sh

clean:
	rm -rf build quire plugins/*.so out

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/quire/plugins \
	  $(DESTDIR)$(PREFIX)/share/quire/scripts $(DESTDIR)$(PREFIX)/share/quire/reports \
	  $(DESTDIR)$(PREFIX)/include/quire
	install -m 755 $(OUT)/quire $(DESTDIR)$(PREFIX)/bin/quire
	install -m 644 $(PLUGIN_SO) $(DESTDIR)$(PREFIX)/lib/quire/plugins/
	install -m 644 core/include/quire/plugin.h $(DESTDIR)$(PREFIX)/include/quire/
	cp -R scripts/segments scripts/kpis scripts/insights scripts/lib $(DESTDIR)$(PREFIX)/share/quire/scripts/
	cp -R reports/. $(DESTDIR)$(PREFIX)/share/quire/reports/

uninstall:
	rm -rf $(DESTDIR)$(PREFIX)/bin/quire $(DESTDIR)$(PREFIX)/lib/quire \
	  $(DESTDIR)$(PREFIX)/share/quire $(DESTDIR)$(PREFIX)/include/quire

-include $(DEPFILES)
