#!/bin/sh
# backtest_baselines.sh — compares baseline variants on back-tests: for each
# scenario feed and each baseline.robust_k, the alerts `finsent backtest`
# gives (rule, key, first window, window of the resolve, figures there).
# docs/alerts.md ("Baselines through an incident") quotes its output.
#
#   FINSENT=build/finsent tools/backtest_baselines.sh [K...]   (default K: 0 2 3)
#
# Scenarios (tests/support/burst_feed.sh, configs/finsent.json):
#   burst  30 minutes of only negative news about Acme Robotics (05:00-05:30)
#   weak   the same 30 minutes at 60% negative
#   shift  from 03:00 on, 35% of the news about Acme Robotics is negative (8 hours)
# and the demo feed with configs/demo.json.
set -eu
FINSENT=${FINSENT:-build/finsent}
KS=${*:-0 2 3}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
export FINSENT_WEBHOOK_SECRET=unused FINSENT_DEMO_SECRET=unused

tests/support/burst_feed.sh >"$TMP/burst.jsonl"
tests/support/burst_feed.sh 6 300 330 0.6 >"$TMP/weak.jsonl"
tests/support/burst_feed.sh 8 180 480 0.35 >"$TMP/shift.jsonl"

run() { # scenario config feed k
    jq --argjson k "$4" '.baseline.robust_k = $k' "$2" >"$TMP/cfg.json"
    "$FINSENT" --log-level error backtest --config "$TMP/cfg.json" --file "$3" 2>/dev/null |
        jq -r --arg s "$1" --arg k "$4" '
            [$s, "k=" + $k, .status, .rule, .key.name, (.window.start[11:16] + "-" + .window.end[11:16]),
             "\(.stats.negatives)/\(.stats.count)", "baseline \(.stats.baseline_share * 1000 | round / 10)%"]
            | @tsv'
}

for k in $KS; do
    run burst configs/finsent.json "$TMP/burst.jsonl" "$k"
    run weak configs/finsent.json "$TMP/weak.jsonl" "$k"
    run shift configs/finsent.json "$TMP/shift.jsonl" "$k"
    run demo configs/demo.json app/demo/feed.jsonl "$k"
done
