# finsent — build, test, demo.
#
#   make            build ./finsent (build/ holds objects)
#   make test       install missing deps, build, run every unit + integration test
#   make asan       AddressSanitizer + UBSan build in build-asan/
#   make asan-test  run the whole suite against the sanitizer build
#   make demo       install missing deps, build, run `finsent demo`
#   make model      reproduce models/default from ../shared/data (scripts/make_model.sh)
#   make clean
#
# Sources are found by wildcard: a new file in a module folder is built
# without editing this file. Every tests/unit/test_*.c is one cmocka binary
# linked against all library objects.

CC      ?= cc
BUILD   ?= build
PKGS    := rdkafka openblas libutf8proc libcjson libcurl libcrypto libmicrohttpd
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -pthread -I. $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -pthread
TEST_LDLIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
CFLAGS  += -DFINSENT_VERSION='"$(VERSION)"'

MODULES := util ingest classify alerts bench app
LIB_SRC := $(filter-out app/main.c,$(foreach m,$(MODULES),$(wildcard $(m)/*.c)))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TEST_HELPER_SRC := $(wildcard tests/support/*.c)
TEST_HELPER_OBJ := $(TEST_HELPER_SRC:%.c=$(BUILD)/%.o)

.PHONY: all test asan asan-test demo clean deps check-deps model

all: $(BUILD)/finsent finsent

finsent: $(BUILD)/finsent
	@if [ "$(BUILD)" = build ]; then ln -sf $(BUILD)/finsent finsent; fi

$(BUILD)/finsent: $(BUILD)/app/main.o $(LIB_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ) $(TEST_HELPER_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $< $(LIB_OBJ) $(TEST_HELPER_OBJ) $(LDLIBS) $(TEST_LDLIBS)

tests: $(TEST_BIN) $(BUILD)/finsent

# check-deps runs the installer only when a pkg-config module, kcat or chromium is missing.
check-deps:
	@pkg-config --exists $(PKGS) cmocka && command -v kcat >/dev/null 2>&1 && command -v chromium >/dev/null 2>&1 || ./scripts/deps.sh

deps:
	./scripts/deps.sh

test: check-deps
	$(MAKE) tests
	BUILD=$(BUILD) tests/run.sh

asan: check-deps
	$(MAKE) BUILD=build-asan SAN=1 tests

asan-test: asan
	BUILD=build-asan SANITIZED=1 tests/run.sh

# model: reproduces models/default from ../shared/data (about 30 minutes on 2 cores)
model: check-deps
	$(MAKE) $(BUILD)/finsent
	FINSENT=$(BUILD)/finsent scripts/make_model.sh

demo: check-deps
	$(MAKE) $(BUILD)/finsent
	$(BUILD)/finsent demo

clean:
	rm -rf build build-asan finsent

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
