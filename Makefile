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

.PHONY: all deps test unit integration demo bench clean
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

clean:
	rm -rf build
