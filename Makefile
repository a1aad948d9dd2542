# godwit build.  `make` -> build/godwit; `make SANITIZE=1` -> build/san/godwit (ASan+UBSan).
CC       ?= gcc
SANITIZE ?= 0

PG_INC   := $(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
MARIADB_INC := $(shell mariadb_config --include 2>/dev/null || echo -I/usr/include/mariadb)
MARIADB_LIB := $(shell mariadb_config --libs 2>/dev/null || echo -lmariadb)
CPPFLAGS += -Isrc -I$(PG_INC) $(MARIADB_INC) -D_GNU_SOURCE
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c17 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -pthread
LDLIBS   += -lpq $(MARIADB_LIB) -lz -ljansson -lmicrohttpd -lgnutls -lpthread

BUILD_SUFFIX ?=
ifeq ($(SANITIZE),1)
BUILD    := build/san$(BUILD_SUFFIX)
CFLAGS   += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=address,undefined
else ifneq ($(BUILD_SUFFIX),)
BUILD    := build/$(BUILD_SUFFIX)
else
BUILD    := build
endif

SRC      := $(shell find src -name '*.c' | sort)
OBJ      := $(SRC:%.c=$(BUILD)/obj/%.o)
LIBOBJ   := $(filter-out $(BUILD)/obj/src/main.o,$(OBJ))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps test unit integration demo bench fuzz clean install man deb reference
all: $(BUILD)/godwit

$(BUILD)/godwit: $(OBJ)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIBOBJ)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

-include $(OBJ:.o=.d)

# libFuzzer targets (tests/fuzz/fuzz_NAME.c, seeds in tests/fuzz/corpus/NAME/): built with clang into
# build/fuzz, the library with -fsanitize=fuzzer-no-link so that its code is instrumented for coverage.
# `make fuzz` runs each for FUZZ_SECONDS and fails on the first crash, leak or sanitizer report; the
# input that failed is kept as build/fuzz/crashes/NAME-*, and new inputs found go to build/fuzz/corpus/NAME
# (the seeds in the tree are not touched).  Reproduce one with build/fuzz/fuzz_NAME FILE.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 25
FUZZ_BUILD   := build/fuzz
FUZZ_CFLAGS  := -O1 -g -std=c17 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -pthread \
                -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_LIBOBJ  := $(filter-out $(FUZZ_BUILD)/obj/src/main.o,$(SRC:%.c=$(FUZZ_BUILD)/obj/%.o))
FUZZ_SRC     := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN     := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/%)

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (fuzz)"
	@$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c -o $@ $<

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(FUZZ_LIBOBJ)
	@echo "  LD      $@"
	@$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< $(FUZZ_LIBOBJ) $(LDLIBS)

-include $(FUZZ_LIBOBJ:.o=.d)
.SECONDARY: $(FUZZ_LIBOBJ)

fuzz: $(FUZZ_BIN)
	@echo "== fuzz: $(FUZZ_SECONDS) s per target"
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh $(FUZZ_BIN)

# Installs (when missing) every Debian package the build, tests, demo and bench need.
deps:
	@sh tests/deps.sh

unit: $(UNIT_BIN)
	@echo "== unit tests"
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

integration: $(BUILD)/godwit
	@GODWIT=$(CURDIR)/$(BUILD)/godwit bash tests/integration/run.sh

# test and demo work on a fresh machine: they install what is missing first.
test:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory integration

demo:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory $(BUILD)/godwit
	@GODWIT=$(CURDIR)/$(BUILD)/godwit bash demo/demo.sh

bench:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory $(BUILD)/godwit
	@GODWIT=$(CURDIR)/$(BUILD)/godwit bash bench/fetch.sh
	@GODWIT=$(CURDIR)/$(BUILD)/godwit bash bench/replicate.sh

# make install [PREFIX=/usr/local] [DESTDIR=]: the binary, man pages (help2man, from --help) and bash
# and zsh completion.  GODWIT_BIN: the binary to install (default: this build's).
PREFIX     ?= /usr/local
GODWIT_BIN ?= $(BUILD)/godwit
VERSION    := $(shell sed -n 's/^\#define GODWIT_VERSION "\(.*\)"/\1/p' src/cli/version.h)

install: $(GODWIT_BIN)
	@sh packaging/install.sh "$(GODWIT_BIN)" "$(DESTDIR)$(PREFIX)"

man: $(GODWIT_BIN)
	@sh packaging/man.sh "$(GODWIT_BIN)" build/man

# docs/reference, from each command's --help text.
reference: $(GODWIT_BIN)
	@sh packaging/reference.sh "$(GODWIT_BIN)" docs/reference

# DEB_DIR/godwit_VERSION_ARCH.deb, installable with `apt install ./build/godwit_*.deb`.
DEB_DIR ?= build
deb: $(GODWIT_BIN)
	@sh packaging/deb.sh "$(GODWIT_BIN)" "$(VERSION)" "$(DEB_DIR)"

clean:
	rm -rf build
