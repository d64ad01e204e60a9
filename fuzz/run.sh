#!/bin/sh
# Runs every libFuzzer target in build-fuzz/fuzz/ for SECONDS each over its
# seed corpus fuzz/corpus/NAME/, one after the other, and fails when any
# target finds a crash, a sanitizer report, a leak or a timeout.
#
#   fuzz/run.sh SECONDS [NAME...]       run (new inputs go to a scratch dir)
#   fuzz/run.sh -merge [NAME...]        fold the scratch finds of earlier runs
#                                       into fuzz/corpus/NAME/, minimised
#
# The run's random seed is FUZZ_SEED (default 1), so the smoke run in CI
# mutates the same way every time over the same corpus; FUZZ_SEED=0 lets
# libFuzzer pick one (campaigns: make fuzz-long).
#
# New inputs a run finds are kept in build-fuzz/found/NAME/ (the checked-in
# corpus is only read); crashes are written to build-fuzz/artifacts/.
# One line per target: "NAME: ok, N execs in S s, cov C, ft F, corpus K"
# (cov: code edges reached, ft: libFuzzer features, corpus: inputs kept,
# all from the run's final status line) or "NAME: FAILED ..."; then a
# total line. Exit status 1 when any target failed.
set -u
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
MODE=run
if [ "${1:-}" = -merge ]; then MODE=merge; else SECONDS_EACH=${1:?usage: fuzz/run.sh SECONDS|-merge [NAME...]}; fi
shift
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

names=$*
if [ -z "$names" ]; then
    for b in "$FUZZ_BUILD"/fuzz/fuzz_*; do
        [ -x "$b" ] || continue
        case "$b" in *.d) continue ;; esac
        names="$names $(basename "$b" | sed 's/^fuzz_//')"
    done
fi
[ -n "$names" ] || { echo "fuzz: no targets in $FUZZ_BUILD/fuzz (run make fuzz)" >&2; exit 1; }

failed=""
total_execs=0
total_start=$(date +%s)
for n in $names; do
    bin="$FUZZ_BUILD/fuzz/fuzz_$n"
    corpus="fuzz/corpus/$n"
    found="$FUZZ_BUILD/found/$n"
    log="$FUZZ_BUILD/logs/$n.log"
    mkdir -p "$corpus" "$found" "$FUZZ_BUILD/artifacts" "$FUZZ_BUILD/logs"
    if [ "$MODE" = merge ]; then
        fresh="$FUZZ_BUILD/merged/$n"
        rm -rf "$fresh"
        mkdir -p "$fresh"
        if "$bin" -merge=1 -max_len=8192 "$fresh" "$corpus" "$found" >"$log" 2>&1; then
            rm -f "$corpus"/*
            cp "$fresh"/* "$corpus"/ 2>/dev/null
            echo "$n: corpus $(ls "$corpus" | wc -l) files, $(cat "$corpus"/* | wc -c) bytes"
        else
            echo "$n: FAILED merge (see $log)"
            failed="$failed $n"
        fi
        continue
    fi
    start=$(date +%s)
    "$bin" -max_total_time="$SECONDS_EACH" -seed="${FUZZ_SEED:-1}" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
        -print_final_stats=1 -artifact_prefix="$FUZZ_BUILD/artifacts/$n-" "$found" "$corpus" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    total_execs=$((total_execs + ${execs:-0}))
    # the last status line: "#N  DONE  cov: C ft: F corp: K/B ..."
    last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1)
    cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
    if [ $rc -eq 0 ]; then
        echo "$n: ok, ${execs:-?} execs in $(( $(date +%s) - start )) s, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}"
    else
        echo "$n: FAILED (exit $rc; log $log); last lines:"
        grep -E -A2 'ERROR|SUMMARY|Test unit written|runtime error|fuzz finding' "$log" | head -n 12 | sed 's/^/    /'
        failed="$failed $n"
    fi
done
[ "$MODE" = merge ] || echo "fuzz: total over $(echo $names | wc -w) target(s): $total_execs execs in $(( $(date +%s) - total_start )) s"
[ -z "$failed" ] || { echo "fuzz: failed:$failed"; exit 1; }
