# lib.sh — TAP helpers for integration scripts (sourced, POSIX sh).
#
#   . tests/integration/lib.sh
#   check "name" test-command...      # ok/not ok on the command's status
#   check_out "name" "expected substring" command...   # exit 0 and the text on stdout+stderr
#   check_err "name" RC "expected substring" command... # exit RC and the text
#   check_rc "name" RC command...     # exit RC
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

# check_err NAME RC EXPECTED CMD...: passes when CMD exits with status RC
# and its output (stdout + stderr) contains EXPECTED. Both, always: an
# error path that prints the right line and then dies (a sanitizer report
# under make asan-test, a crash) exits with another status and fails.
check_err() {
    name=$1; wantrc=$2; want=$3; shift 3
    "$@" >"$TMP/out" 2>&1
    rc=$?
    if [ "$rc" -eq "$wantrc" ] && grep -qF -- "$want" "$TMP/out"; then ok "$name"; else
        notok "$name"; echo "# expected exit $wantrc and: $want (got exit $rc)"; sed 's/^/# got: /' "$TMP/out"; fi
}

# check_out NAME EXPECTED CMD...: check_err with status 0.
check_out() {
    _name=$1; _want=$2; shift 2
    check_err "$_name" 0 "$_want" "$@"
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
