# silt — GNU Makefile. `make` builds build/silt; `make check` builds with AddressSanitizer and
# UBSan into build/asan/ (and ThreadSanitizer into build/tsan/) and runs every test suite;
# `make bench`, `make fuzz`, `make demo`.

CC      ?= cc
PKGS    := jansson yaml-0.1 libcrypto libssl sqlite3 libpcre2-8 libmicrohttpd libpq zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
# libpq, libmicrohttpd and OpenSSL are loaded when first used (src/base/dynlib.c, openssl.c):
# compiled against, not linked, so a start does not load and relocate them
PKG_LIBS   := $(shell pkg-config --libs $(filter-out libpq libmicrohttpd libcrypto libssl,$(PKGS)))

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla \
           -Wformat=2 -Wno-format-nonliteral
CSTD    := -std=c17 -D_GNU_SOURCE
OPT     ?= -O2 -g
CFLAGS_ALL = $(CSTD) $(WARN) $(OPT) $(PKG_CFLAGS) -Isrc $(CFLAGS)
LDLIBS_ALL = $(PKG_LIBS) -lm -lpthread $(LDLIBS)
SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
TSAN    := -fsanitize=thread

LIB_SRC  := $(sort $(filter-out src/cli/%,$(wildcard src/*/*.c)))
# Files compiled into the binary (tools/embed.c writes build/gen/embedded.c from them).
EMBED    := $(sort $(wildcard src/compile/macros/*.sql) $(wildcard src/store/migrations/*.sql) \
              $(wildcard src/store/migrations-pg/*.sql) \
              $(wildcard src/serve/ui/*.html src/serve/ui/*.css src/serve/ui/*.js))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))

B  := build
BA := build/asan
BT := build/tsan
BG := build/pgo-gen

# build/silt is profile-guided (PGO=1, the default): its objects are first built instrumented
# into build/pgo-gen/, that binary parses and compiles a generated project and builds
# examples/shop (scripts/pgo-train.sh), and build/silt's objects are then compiled with the
# counters it left (about 10% less CPU for parse and compile). PGO=0 (quicker while editing)
# builds build/silt directly.
PGO     ?= 1
PGO_GEN := -fprofile-generate -fprofile-update=atomic
ifeq ($(PGO),1)
PGO_USE := -fprofile-use -fprofile-partial-training -Wno-missing-profile
PGO_DEP := $(B)/pgo.stamp
endif

obj = $(patsubst %.c,$(1)/%.o,$(2))

.PHONY: all check test unit bench bench-pg fuzz demo clean format deps
all: $(B)/silt

# (both builds name their auxiliary files after the release object, absolutely: gcc keys a
# static function's counters by that name, and the instrumented binary writes its counters
# there, build/src/.../x.gcda, wherever it runs)
$(B)/%.o: %.c $(PGO_DEP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(PGO_USE) -dumpdir $(CURDIR)/$(dir $@) -MMD -MP -c $< -o $@

$(BG)/%.o: %.c
	@mkdir -p $(dir $@) $(B)/$(dir $*)
	$(CC) $(CFLAGS_ALL) $(PGO_GEN) -dumpdir $(CURDIR)/$(B)/$(dir $*) -MMD -MP -c $< -o $@

$(BG)/silt: $(call obj,$(BG),$(LIB_SRC) $(CLI_SRC)) $(B)/gen/embedded.o
	$(CC) $(OPT) $(PGO_GEN) -o $@ $^ $(LDLIBS_ALL)

$(B)/pgo.stamp: $(BG)/silt scripts/pgo-train.sh scripts/gen-bench-project.py
	sh scripts/pgo-train.sh $(BG)/silt $(B)
	@touch $@

$(BA)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(SAN) -O1 -MMD -MP -c $< -o $@

# ThreadSanitizer builds, for tests/cli/tsan.sh: the parse workers, the two-thread JSON writer and
# the run pool race-checked
$(BT)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(TSAN) -O1 -MMD -MP -c $< -o $@

$(B)/tools/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -o $@ $<

build/gen/embedded.c: $(B)/tools/embed $(EMBED)
	@mkdir -p $(dir $@)
	$(B)/tools/embed $@ src $(EMBED)

$(B)/gen/embedded.o: build/gen/embedded.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) -O2 -Isrc -c $< -o $@

$(BA)/gen/embedded.o $(BT)/gen/embedded.o: build/gen/embedded.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) -O1 -Isrc -c $< -o $@

$(B)/silt: $(call obj,$(B),$(LIB_SRC) $(CLI_SRC)) $(B)/gen/embedded.o
	$(CC) $(OPT) -o $@ $^ $(LDLIBS_ALL)

$(BA)/silt: $(call obj,$(BA),$(LIB_SRC) $(CLI_SRC)) $(BA)/gen/embedded.o
	$(CC) $(SAN) -o $@ $^ $(LDLIBS_ALL)

$(BA)/unit-tests: $(call obj,$(BA),$(LIB_SRC) $(UNIT_SRC)) $(BA)/gen/embedded.o
	$(CC) $(SAN) -o $@ $^ $(LDLIBS_ALL)

$(BT)/silt: $(call obj,$(BT),$(LIB_SRC) $(CLI_SRC)) $(BT)/gen/embedded.o
	$(CC) $(TSAN) -o $@ $^ $(LDLIBS_ALL)

$(BT)/unit-tests: $(call obj,$(BT),$(LIB_SRC) $(UNIT_SRC)) $(BT)/gen/embedded.o
	$(CC) $(TSAN) -o $@ $^ $(LDLIBS_ALL)

# All suites, under the sanitizers (and tests/cli/release.sh: the release build against them;
# tests/cli/tsan.sh: the ThreadSanitizer builds); the last line is "N passed, N failed".
check: $(BA)/silt $(BA)/unit-tests $(B)/silt $(BT)/silt $(BT)/unit-tests
	@SILT=$(BA)/silt UNIT=$(BA)/unit-tests SILT_RELEASE=$(B)/silt TSAN_SILT=$(BT)/silt \
	  TSAN_UNIT=$(BT)/unit-tests sh tests/run.sh

test: check

bench: $(B)/silt
	$(B)/silt bench
	/usr/bin/python3 scripts/bench-parse.py $(B)/silt build
	/usr/bin/python3 scripts/bench-store.py $(B)/silt build
	/usr/bin/python3 scripts/bench-state.py $(B)/silt build
	/usr/bin/python3 scripts/bench-serve.py $(B)/silt build
	sh scripts/pg-bench.sh $(B)/silt 500
	sh tests/browser/bench-10000.sh $(B)/silt

# A 500-model build on a throw-away PostgreSQL server: wall, CPU and time beyond the server's.
bench-pg: $(B)/silt
	sh scripts/pg-bench.sh $(B)/silt 500
	sh tests/browser/bench-10000.sh $(B)/silt

# libFuzzer targets (clang); FUZZ_TIME seconds each (default 60).
FUZZ_TIME ?= 60
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
$(B)/fuzz/%: tests/fuzz/%.c $(LIB_SRC) build/gen/embedded.c
	@mkdir -p $(dir $@)
	clang $(CSTD) -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	  $(PKG_CFLAGS) -Isrc -o $@ $< $(LIB_SRC) build/gen/embedded.c $(LDLIBS_ALL)
fuzz: $(FUZZ_TARGETS)
	@for t in $(FUZZ_TARGETS); do \
	  n=$$(basename $$t); mkdir -p $(B)/fuzz/corpus-$$n; \
	  echo "== $$n ($(FUZZ_TIME)s)"; \
	  $$t -max_total_time=$(FUZZ_TIME) -max_len=4096 -timeout=10 $(B)/fuzz/corpus-$$n tests/fuzz/seeds/$$n || exit 1; \
	done

deps:
	sh scripts/install-deps.sh

# The main job so far: render a model template, then load examples/shop's seeds into SQLite
# (examples/shop/warehouse.db) and compile its models into examples/shop/target/compiled.
SHOP := --project-dir examples/shop --profiles-dir examples/shop
demo: deps
	$(MAKE) all
	$(B)/silt render examples/hello/model.sql --ctx examples/hello/context.json --macros =examples/hello/macros.sql
	sh scripts/demo.sh $(B)/silt

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c')

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
