#!/bin/sh
# fuzz_smoke — runs every built libFuzzer target (build-fuzz/fuzz/, made by
# `make fuzz`) for FUZZ_SMOKE_SECONDS (default 5) over its seed corpus
# fuzz/corpus/NAME/; one TAP line per target. Skipped when the fuzz build
# does not exist, so plain `make test` needs no clang, and under
# `make asan-test` (SANITIZED=1): the targets are sanitizer builds already,
# and `make test` ran them. The longer CI run is `make fuzz-smoke`
# (FUZZ_SECONDS per target).
. tests/integration/lib.sh

FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
secs=${FUZZ_SMOKE_SECONDS:-5}
for src in fuzz/fuzz_*.c; do
    name=$(basename "$src" .c | sed 's/^fuzz_//')
    bin="$FUZZ_BUILD/fuzz/fuzz_$name"
    if [ "${SANITIZED:-0}" = 1 ]; then
        skip "fuzz $name" "sanitizer run: the fuzz targets run under make test"
        continue
    fi
    if [ ! -x "$bin" ]; then
        skip "fuzz $name" "no fuzz build (make fuzz)"
        continue
    fi
    check "fuzz $name for ${secs}s: no crash, leak or timeout" \
        env FUZZ_BUILD="$FUZZ_BUILD" fuzz/run.sh "$secs" "$name"
done
done_testing
