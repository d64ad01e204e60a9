# report_chromium.sh — the back-test report in a real browser: the unit test
# binary writes its simulated day's report ($REPORT_OUT), headless Chromium
# loads it and must log no console message (no script error, no blocked
# script or network load), its DOM must hold every chart and the alert table
# (with the samples' top words marked and each alert's "why" words) with no
# <script> element, and a screenshot must come out non-trivial.
# Skipped only when Chromium is not installed (scripts/deps.sh installs it).
. tests/integration/lib.sh

BIN="$(dirname "$FINSENT")/tests/test_report"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)

if [ -z "$CHROMIUM" ]; then
    skip "report renders in headless Chromium" "chromium not installed (scripts/deps.sh installs it)"
    done_testing
    exit
fi

# chrome PROFILE-NAME ARGS...: one headless run, bounded, without network
chrome() {
    prof="$TMP/profile-$1"; shift
    mkdir -p "$prof"
    timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$prof" "$@"
}

check "test_report writes the report" env REPORT_OUT="$TMP/report.html" "$BIN"
charts=$(grep -o '<svg class="chart"' "$TMP/report.html" | wc -l)
rows=$(grep -o '<tr class="alert-row">' "$TMP/report.html" | wc -l)
check "the report has charts and alert rows" test "$charts" -gt 0 -a "$rows" -gt 0

chrome dom --enable-logging=stderr --v=0 --dump-dom "file://$TMP/report.html" >"$TMP/dom.html" 2>"$TMP/console.log"
rc=$?
check "chromium loads the report (exit 0)" test $rc -eq 0
if grep -E ':CONSOLE|Uncaught' "$TMP/console.log" >"$TMP/console-msgs"; then
    notok "no console messages"
    sed 's/^/# /' "$TMP/console-msgs" | cut -c1-300
else
    ok "no console messages"
fi
check "DOM holds all $charts charts" test "$(grep -o '<svg class="chart"' "$TMP/dom.html" | wc -l)" -eq "$charts"
check "DOM holds the alert table with $rows rows" test "$(grep -o '<tr class="alert-row">' "$TMP/dom.html" | wc -l)" -eq "$rows"
check "DOM holds alert markers" grep -q 'class="alert-marker firing"' "$TMP/dom.html"
check "hostile sample text stayed text" grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' "$TMP/dom.html"
check "DOM marks the samples' top words" grep -qF 'HRBK shares <mark>slump</mark> after lender <mark>cuts</mark>' "$TMP/dom.html"
check "DOM lists each firing alert's why words" \
    test "$(grep -o '<td class="why"><ul class="why"><li><mark>slump</mark>' "$TMP/dom.html" | wc -l)" -gt 0
check "DOM has no script element" sh -c "! grep -qi '<script' '$TMP/dom.html'"

chrome shot --screenshot="$TMP/report.png" --window-size=1280,2000 "file://$TMP/report.html" >"$TMP/shot.log" 2>&1
size=$(wc -c <"$TMP/report.png" 2>/dev/null || echo 0)
check "screenshot is a PNG" sh -c "head -c 8 '$TMP/report.png' | od -An -c | grep -q 'P   N   G'"
check "screenshot is non-trivial ($size bytes > 50000)" test "$size" -gt 50000
done_testing
