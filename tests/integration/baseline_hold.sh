# baseline_hold.sh — issue 15: an incident stays open while it lasts. Back-
# tests with configs/finsent.json of six hours of news about two companies
# (tests/support/burst_feed.sh), with 30 minutes (05:00-05:30) of negative
# news about one: one alert, firing until the burst is over, resolved within
# a few windows after it, its resolve carrying the clearing window's
# figures and the first firing window's.
. tests/integration/lib.sh

MODEL=${FINSENT_TEST_MODEL:-models/default}
if [ ! -f "$MODEL/config.json" ]; then
    skip "baseline hold back-tests" "no model at $MODEL"
    done_testing
    exit
fi
export FINSENT_WEBHOOK_SECRET=unused

# backtest NAME FROM TO SHARE: the alerts of a burst of SHARE negative news about Acme Robotics
backtest() {
    tests/support/burst_feed.sh 6 "$2" "$3" "$4" >"$TMP/$1.feed"
    "$FINSENT" --log-level error backtest --config configs/finsent.json --model "$MODEL" --file "$TMP/$1.feed" \
        >"$TMP/$1.jsonl" 2>"$TMP/$1.err"
}

# 1. 30 minutes of only negative news (the back-test)
backtest burst 300 330 1
check "backtest exits 0" test $? -eq 0
check "one alert, on Acme Robotics, fires and resolves" \
    jq -s -e 'length == 2 and (map(.id) | unique | length) == 1 and map(.key.name) == ["entity=ACMR", "entity=ACMR"]
              and map(.status) == ["firing", "resolved"]' "$TMP/burst.jsonl"
check "it fires at the start of the burst (a window ending 05:00-05:05)" \
    jq -s -e '.[0].window.end >= "2026-03-02T05:00" and .[0].window.end <= "2026-03-02T05:05"' "$TMP/burst.jsonl"
check "it stays firing until the burst is over and resolves within 6 windows after (window ending 05:31-05:36)" \
    jq -s -e '.[1].window.end >= "2026-03-02T05:31" and .[1].window.end <= "2026-03-02T05:36"' "$TMP/burst.jsonl"
check "the resolve carries the clearing window's figures against the held baseline" \
    jq -s -e '.[1] | .stats.count == 30 and .stats.negative_share < 0.4 and .stats.baseline_share < 0.15
              and .stats.baseline_share == .first.stats.baseline_share' "$TMP/burst.jsonl"
check "the resolve carries the first firing window and its figures" \
    jq -s -e '.[1].first.window == .[0].window and .[1].first.stats == .[0].stats' "$TMP/burst.jsonl"

# 2. the same 30 minutes at 60% negative: windows around the burst's edges breach
#    nothing, and a learning (or merely holding) baseline let the alert resolve at 05:10
backtest weak 300 330 0.6
check "a weaker burst gives one alert too" \
    jq -s -e 'length == 2 and (map(.id) | unique | length) == 1 and map(.status) == ["firing", "resolved"]' \
    "$TMP/weak.jsonl"
check "the weaker burst's alert stays firing until 05:30 (window ending 05:31-05:36)" \
    jq -s -e '.[1].window.end >= "2026-03-02T05:31" and .[1].window.end <= "2026-03-02T05:36"' "$TMP/weak.jsonl"
done_testing
