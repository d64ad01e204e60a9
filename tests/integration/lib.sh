# lib.sh — TAP helpers for integration scripts (sourced, POSIX sh).
#
#   . tests/integration/lib.sh
#   check "name" test-command...      # ok/not ok on the command's status
#   check_out "name" "expected substring" command...   # on stdout+stderr
#   skip "name" "reason"
#   done_testing
# $FINSENT is the binary under test; $TMP a scratch dir removed at exit.
n=0
nfail=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

ok()   { n=$((n + 1)); echo "ok $n - $1"; }
notok(){ n=$((n + 1)); nfail=$((nfail + 1)); echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

check() {
    name=$1; shift
    if "$@" >"$TMP/out" 2>&1; then ok "$name"; else notok "$name"; sed 's/^/# /' "$TMP/out"; fi
}

# check_out NAME EXPECTED CMD...: passes when CMD's output contains EXPECTED
# (whatever its exit status; assert the status separately with check_rc).
check_out() {
    name=$1; want=$2; shift 2
    "$@" >"$TMP/out" 2>&1
    if grep -qF -- "$want" "$TMP/out"; then ok "$name"; else
        notok "$name"; echo "# expected: $want"; sed 's/^/# got: /' "$TMP/out"; fi
}

# check_rc NAME RC CMD...: passes when CMD exits with RC.
check_rc() {
    name=$1; want=$2; shift 2
    "$@" >"$TMP/out" 2>&1
    rc=$?
    if [ "$rc" -eq "$want" ]; then ok "$name"; else
        notok "$name"; echo "# expected exit $want, got $rc"; sed 's/^/# /' "$TMP/out"; fi
}

done_testing() { echo "1..$n"; [ $nfail -eq 0 ]; }
