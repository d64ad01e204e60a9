# finsent — build, test, demo.
#
#   make            build ./finsent (build/ holds objects)
#   make test       install missing deps, build, run every unit + integration test
#   make asan       AddressSanitizer + UBSan build in build-asan/
#   make asan-test  run the whole suite against the sanitizer build
#   make demo       install missing deps, build, run `finsent demo`
#   make fuzz       libFuzzer targets (fuzz/fuzz_*.c) into build-fuzz/ (clang)
#   make fuzz-smoke run each fuzz target FUZZ_SECONDS (default 60) on its corpus
#   make fuzz-long  run each fuzz target 600 s
#   make crash-test the crash and restart tests at full size
#   make crash-campaign  the restart test killed at many more moments
#   make model      reproduce models/default from ../shared/data (scripts/make_model.sh)
#   make model-zh   reproduce models/default-zh, the Chinese model (scripts/make_model_zh.sh)
#   make bench-ort  the encoder against ONNX Runtime on this machine (bench/ort_peer.sh)
#   make rebuild-figures  what a restarted aggregate instance reads again, by feed size
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

# FUZZ=1 (set by `make fuzz`): library objects instrumented for libFuzzer
# (coverage only; the fuzzer runtime is linked into each target), with
# float-cast-overflow, which clang leaves out of "undefined".
ifeq ($(FUZZ),1)
CFLAGS  += -fsanitize=fuzzer-no-link,address,undefined,float-cast-overflow -fno-omit-frame-pointer \
           -fno-sanitize-recover=undefined,float-cast-overflow
endif

ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
CFLAGS  += -DFINSENT_VERSION='"$(VERSION)"'

MODULES := util ingest classify train alerts bench app
LIB_SRC := $(filter-out app/main.c,$(foreach m,$(MODULES),$(wildcard $(m)/*.c)))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TEST_HELPER_SRC := $(wildcard tests/support/*.c)
TEST_HELPER_OBJ := $(TEST_HELPER_SRC:%.c=$(BUILD)/%.o)

.PHONY: all test asan asan-test demo clean deps check-deps model model-zh fuzz fuzz-bins fuzz-smoke fuzz-long crash-test crash-campaign bench-ort rebuild-figures

all: $(BUILD)/finsent finsent

finsent: $(BUILD)/finsent
	@if [ "$(BUILD)" = build ]; then ln -sf $(BUILD)/finsent finsent; fi

$(BUILD)/finsent: $(BUILD)/app/main.o $(LIB_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

# The encoder's kernel sets (classify/kernels.h): each SIMD file is built for
# its instruction set and only called when the CPU has it; all of them with
# -O3 (the unrolled micro-tiles) and without FMA contraction, so that the
# plain and SIMD sets round where their code says.
$(BUILD)/classify/kernels_%.o: CFLAGS += -O3 -ffp-contract=off
ifneq ($(filter x86_64 i%86 amd64,$(shell uname -m)),)
$(BUILD)/classify/kernels_avx2.o: CFLAGS += -mavx2 -mfma
$(BUILD)/classify/kernels_avx512.o: CFLAGS += -mavx512f -mavx512bw -mfma
endif

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ) $(TEST_HELPER_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $< $(LIB_OBJ) $(TEST_HELPER_OBJ) $(LDLIBS) $(TEST_LDLIBS)

tests: $(TEST_BIN) $(BUILD)/finsent

# check-deps runs the installer only when a pkg-config module, kcat, chromium, jq,
# promtool (package prometheus: the ops kit's alerting rules), systemd-analyze or
# a font with Chinese glyphs (fonts-noto-cjk, for the report test) is missing.
check-deps:
	@pkg-config --exists $(PKGS) cmocka && command -v kcat >/dev/null 2>&1 && command -v chromium >/dev/null 2>&1 && command -v jq >/dev/null 2>&1 && \
	  command -v promtool >/dev/null 2>&1 && command -v systemd-analyze >/dev/null 2>&1 && fc-list :lang=zh family 2>/dev/null | grep -q . || ./scripts/deps.sh

deps:
	./scripts/deps.sh

test: check-deps
	$(MAKE) tests
	BUILD=$(BUILD) tests/run.sh

asan: check-deps
	$(MAKE) BUILD=build-asan SAN=1 tests

# The crash tests at full size: the scale-out crash test with 200,000
# messages (make test runs 20,000) and role all's restart scenarios over
# twenty simulated days (make test runs four).
crash-test: check-deps
	$(MAKE) tests
	BUILD=$(BUILD) CRASH_MESSAGES=200000 tests/run.sh crash
	BUILD=$(BUILD) RESTART_MESSAGES=39680 tests/run.sh restart

# crash-campaign: role all and the scale-out roles killed at many more
# moments (every crash point at several counts, kill -9 and SIGTERM along
# the backlog), each against a replay (scripts/crash_campaign.sh)
crash-campaign: check-deps
	$(MAKE) tests
	BUILD=$(BUILD) scripts/crash_campaign.sh

asan-test: asan
	BUILD=build-asan SANITIZED=1 tests/run.sh

# model: reproduces models/default from ../shared/data (about 30 minutes on 2 cores)
model: check-deps
	$(MAKE) $(BUILD)/finsent
	FINSENT=$(BUILD)/finsent scripts/make_model.sh

# model-zh: reproduces models/default-zh from ../shared/data/chinese-weibo-stock
model-zh: check-deps
	$(MAKE) $(BUILD)/finsent
	FINSENT=$(BUILD)/finsent scripts/make_model_zh.sh

# rebuild-figures: what a restarted aggregate instance reads again against
# the scored topic's retention, group mode against static assignment with
# checkpoints (tests/integration/rebuild.sh at several feed sizes)
rebuild-figures: check-deps
	$(MAKE) $(BUILD)/finsent
	BUILD=$(BUILD) scripts/rebuild_figures.sh

# bench-ort: finsent's encoder against ONNX Runtime (npm onnxruntime-node) on
# the same weights, token ids and threads, ratios measured in one run. The
# peer's tools are its own business: node and npm, Debian's python3-torch
# and python3-onnx for the ONNX export, the npm package into build/ort-peer.
bench-ort: check-deps
	$(MAKE) $(BUILD)/finsent
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || ./scripts/deps.sh nodejs npm
	@/usr/bin/python3 -c 'import torch, onnx' 2>/dev/null || ./scripts/deps.sh python3-torch python3-onnx
	FINSENT=$(BUILD)/finsent OUT=$(BUILD)/ort-peer nice -n 10 bench/ort_peer.sh

demo: check-deps
	$(MAKE) $(BUILD)/finsent
	$(BUILD)/finsent demo

# ---- fuzzing (libFuzzer) ----
# One target per parser: fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput,
# its seed corpus is fuzz/corpus/NAME/. `make fuzz` builds every target
# with clang into build-fuzz/fuzz/ (needs clang and libclang-rt-14-dev,
# which holds the libFuzzer runtime; scripts/deps.sh installs both).
# fuzz/run.sh runs them; crashes are saved under build-fuzz/artifacts/.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SRC     := $(wildcard fuzz/fuzz_*.c)
FUZZ_BIN     := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%)

# The libFuzzer runtime is found by linking a one-line target.
fuzz: check-deps
	@echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { (void)d; (void)n; return 0; }' | \
	  $(FUZZ_CC) -fsanitize=fuzzer -x c -o /dev/null - >/dev/null 2>&1 || ./scripts/deps.sh
	$(MAKE) BUILD=build-fuzz CC=$(FUZZ_CC) FUZZ=1 fuzz-bins

fuzz-bins: $(FUZZ_BIN)

$(BUILD)/fuzz/%: fuzz/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -MMD -MP $(LDFLAGS) -o $@ $< $(LIB_OBJ) $(LDLIBS)

fuzz-smoke: fuzz
	fuzz/run.sh $(FUZZ_SECONDS)

fuzz-long: fuzz
	FUZZ_SEED=0 fuzz/run.sh 600

clean:
	rm -rf build build-asan build-fuzz finsent

# .incbin inputs are invisible to -MMD
$(BUILD)/app/demo_assets.o: app/demo/feed.jsonl configs/demo.json app/demo/feed-zh.jsonl configs/demo-zh.json

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
