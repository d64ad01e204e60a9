#!/bin/sh
# Runs every unit test binary (cmocka, TAP output) and every integration
# script (TAP output via tests/integration/lib.sh), then prints one summary
# line "N passed, N failed, N skipped" that CI reads. Exit 1 when any test
# failed or a test program crashed.
#
#   BUILD=build tests/run.sh [NAME-FILTER]
#   TEST_TIMEOUT=S  seconds one program may run (default 900)
set -u
BUILD=${BUILD:-build}
FILTER=${1:-}
export FINSENT="$PWD/$BUILD/finsent"
export CMOCKA_MESSAGE_OUTPUT=TAP
export FINSENT_DATA="${FINSENT_DATA:-$PWD/../shared/data}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
LOGDIR="$BUILD/test-logs"
mkdir -p "$LOGDIR"

pass=0 fail=0 skip=0 crashed="" crash_notes=""

# tally FILE: counts TAP lines of one program's output
tally() {
    # cmocka prints a skipped test as "not ok N # SKIP", lib.sh as "ok N # SKIP"
    p=$(grep -aE '^ok [0-9]+' "$1" | grep -vc '# SKIP')
    s=$(grep -acE '^(not )?ok [0-9]+.*# SKIP' "$1")
    f=$(grep -aE '^not ok [0-9]+' "$1" | grep -vc '# SKIP')
    pass=$((pass + p)); skip=$((skip + s)); fail=$((fail + f))
    grep -aE '^not ok' "$1" | grep -v '# SKIP' | sed "s|^|  $(basename "$1" .log): |"
}

run_one() { # name, command...
    name=$1; shift
    case "$name" in *"$FILTER"*) ;; *) return ;; esac
    log="$LOGDIR/$name.log"
    start=$(date +%s)
    timeout "${TEST_TIMEOUT:-900}" "$@" >"$log" 2>&1
    rc=$?
    printf '%-40s rc=%d %4ss\n' "$name" "$rc" "$(( $(date +%s) - start ))"
    tally "$log"
    if [ $rc -ne 0 ] && ! grep -aE '^not ok' "$log" | grep -qv '# SKIP'; then
        # one line for the end of the output (CI shows only its tail):
        # the exit status, the last test that passed and the last lines
        crashed="$crashed $name"
        last_ok=$(grep -aE '^ok [0-9]+' "$log" | tail -n 1 | cut -c1-60)
        last_lines=$(grep -av '^[[:space:]]*$' "$log" | tail -n 3 | cut -c1-200 | sed 's/^/    /')
        crash_notes="$crash_notes
  $name: rc=$rc after '${last_ok:-no test}'; its last lines:
$last_lines"
        fail=$((fail + 1))
        echo "  $name exited $rc without a failing test; last lines:"
        tail -n 15 "$log" | sed 's/^/    /'
    fi
}

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    run_one "$(basename "$t")" "$t"
done
for t in tests/integration/*.sh; do
    [ -f "$t" ] || continue
    case "$(basename "$t")" in *lib.sh) continue ;; esac # sourced by the tests
    run_one "$(basename "$t" .sh)" sh "$t"
done

echo
[ -n "$crashed" ] && echo "crashed:$crashed$crash_notes"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
