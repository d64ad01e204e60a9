# demo_zh.sh — the Chinese demo end to end: `finsent demo --feed zh` (mock
# cluster, models/default-zh, signed webhook) alerts on the planted spike
# of 澜岳银行 (entity 609801, named by its name, Xueqiu tags and codes) and
# prints the Chinese samples whole; a replay of the same feed delivers the
# alert as a Slack body to a local receiver with the Chinese text intact
# (its top words in bold);
# the back-test report carries the Chinese samples and renders them in
# headless Chromium with real glyphs (a CJK font installed by
# scripts/deps.sh: two reports that differ in one Chinese character give
# different screenshots, which boxes for missing glyphs would not).
. tests/integration/lib.sh

MODEL=${FINSENT_ZH_MODEL:-models/default-zh}
FEED=app/demo/feed-zh.jsonl
if [ ! -f "$MODEL/config.json" ]; then
    skip "Chinese demo" "no model at $MODEL"
    done_testing
    exit
fi

# valid_utf8 FILE: no invalid sequence (a sample cut inside a character would be one)
valid_utf8() { iconv -f UTF-8 -t UTF-8 "$1" >/dev/null 2>&1; }

timeout 120 "$FINSENT" demo --feed zh --model "$MODEL" >"$TMP/demo.out" 2>"$TMP/demo.err"
check "demo --feed zh exits 0" test $? -eq 0
check "demo --feed zh prints a summary" grep -q "== finsent demo summary ==" "$TMP/demo.out"
check "the spike on 澜岳银行 alerts (entity 609801)" grep -q "ALERT critical entity-negative-spike .*entity=609801" "$TMP/demo.out"
check "no other entity alerts" sh -c "! grep '^ALERT' '$TMP/demo.out' | grep -v 'entity=609801'"
check "the alert's samples are printed in Chinese" grep -q '^      "[^"]*澜岳银行' "$TMP/demo.out"
check "the demo's output is valid UTF-8" valid_utf8 "$TMP/demo.out"
check "two dead letters (invalid JSON, empty text)" grep -q "dead letters          2  invalid_json=1  empty_text=1" "$TMP/demo.out"
check "every delivery's signature verified" grep -q "signatures valid" "$TMP/demo.out"
check_rc "demo --feed fr is a usage error" 2 "$FINSENT" demo --feed fr

# the same feed replayed to a Slack-format webhook on loopback
"$FINSENT" mock-webhook >"$TMP/hook.out" 2>"$TMP/hook.err" &
hook=$!
i=0
while ! grep -q '^url=' "$TMP/hook.out" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
url=$(sed -n 's/^url=//p' "$TMP/hook.out")
jq --arg url "$url/slack" --arg outbox "$TMP/outbox" \
    '.sinks = [{"name": "slack", "type": "webhook", "url": $url, "format": "slack", "timeout": "5s",
                "give_up_after": "1m"}] | .outbox.dir = $outbox | .metrics.listen = ""' \
    configs/demo-zh.json >"$TMP/slack.json"
"$FINSENT" replay --config "$TMP/slack.json" --file "$FEED" --model "$MODEL" >"$TMP/replay.jsonl" 2>"$TMP/replay.err"
check "replay to a Slack sink exits 0" test $? -eq 0
i=0
while [ "$(grep -c '"path":"/slack"' "$TMP/hook.out")" -lt 2 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill "$hook" 2>/dev/null
wait "$hook" 2>/dev/null
grep '"path":"/slack"' "$TMP/hook.out" | head -n 1 | jq -r .body >"$TMP/slack_body.json"
check "the Slack body is JSON with the alert's summary" jq -e '.text | test("entity=609801")' "$TMP/slack_body.json"
check "the Slack body quotes the Chinese samples" \
    jq -e '[.blocks[1:][] | .text.text] | length > 0 and all(startswith("> ")) and any(test("澜岳银行"))' \
    "$TMP/slack_body.json"
# The Slack lines the first firing alert should have: "> " and each sample's
# text with its top words in bold (docs/explain.md), the marks put at the
# words' UTF-8 byte offsets, so on character boundaries (jq indexes strings
# by code point: the offsets are mapped through each character's UTF-8 length).
jq -s '
    def utf8len: if . < 128 then 1 elif . < 2048 then 2 elif . < 65536 then 3 else 4 end;
    def bold($words):
        explode as $c | [$c[] | utf8len] as $len | [foreach $len[] as $l (0; . + $l)] as $stop
        | [range(0; $c | length) as $i | ($stop[$i] - $len[$i]) as $at
           | (if any($words[]; .start == $at) then "*" else "" end) + ([$c[$i]] | implode)
             + (if any($words[]; .end == $stop[$i]) then "*" else "" end)] | add // "";
    [.[] | select(.status == "firing")][0].samples
    | map(. as $s | {line: ("> " + ($s.text | bold($s.words // [])) + " _("), words: ($s.words // [] | length)})' \
    "$TMP/replay.jsonl" >"$TMP/slack_want.json"
check "the alert's samples carry top words to show in bold" \
    jq -e 'length > 0 and all(.words > 0)' "$TMP/slack_want.json"
check "the samples in the Slack body are the alert's, byte for byte, with their top words in bold" \
    jq -e --slurpfile want "$TMP/slack_want.json" \
    '[.blocks[1:][] | .text.text] as $got | ($want[0] | map(.line)) as $w |
     ($got | length) == ($w | length) and all(range(0; $w | length); . as $i | $got[$i] | startswith($w[$i]))' \
    "$TMP/slack_body.json"

# the back-test report
FINSENT_DEMO_SECRET=unused "$FINSENT" backtest --config configs/demo-zh.json --file "$FEED" --model "$MODEL" --report "$TMP/report.html" \
    >"$TMP/bt.out" 2>"$TMP/bt.err"
check "backtest exits 0" test $? -eq 0
check "the report is valid UTF-8" valid_utf8 "$TMP/report.html"
check "the report quotes the Chinese samples" grep -q '澜岳银行' "$TMP/report.html"
check "the report charts entity 609801" grep -q 'entity=609801' "$TMP/report.html"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ] || ! fc-list :lang=zh family 2>/dev/null | grep -q .; then
    skip "the report renders Chinese in Chromium" "chromium or a CJK font missing (scripts/deps.sh installs both)"
    done_testing
    exit
fi
check "a font with Chinese glyphs is installed" sh -c "fc-list :lang=zh family | grep -q ."
chrome() { # PROFILE ARGS...: one headless run, bounded, without network
    prof="$TMP/profile-$1"; shift
    mkdir -p "$prof"
    timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$prof" "$@"
}
chrome dom --dump-dom "file://$TMP/report.html" >"$TMP/dom.html" 2>/dev/null
check "Chromium's DOM holds the Chinese samples" grep -q '澜岳银行' "$TMP/dom.html"
# the alert table is near the top; 澜 → 涨 in the copy changes one glyph in each sample
sed 's/澜/涨/g' "$TMP/report.html" >"$TMP/report2.html"
chrome a --screenshot="$TMP/a.png" --window-size=1280,3000 "file://$TMP/report.html" >/dev/null 2>&1
chrome b --screenshot="$TMP/b.png" --window-size=1280,3000 "file://$TMP/report2.html" >/dev/null 2>&1
check "screenshots of the report are PNGs" sh -c "head -c 8 '$TMP/a.png' | od -An -c | grep -q 'P   N   G' &&
                                                head -c 8 '$TMP/b.png' | od -An -c | grep -q 'P   N   G'"
check "Chinese characters render as distinct glyphs" sh -c "! cmp -s '$TMP/a.png' '$TMP/b.png'"
done_testing
