# pipeline.sh — the whole pipeline through its commands: demo (mock cluster,
# signed webhook), replay and backtest of the same feed, and `finsent run`
# against a standalone mock broker fed by kcat. Same feed, same alert ids.
. tests/integration/lib.sh

MODEL=${FINSENT_TEST_MODEL:-models/default}
FEED=app/demo/feed.jsonl
if [ ! -f "$MODEL/config.json" ]; then
    skip "pipeline tests" "no model at $MODEL"
    done_testing
    exit
fi
export FINSENT_DEMO_SECRET=test-secret FINSENT_DEMO_OUTBOX="$TMP/outbox"

# ids of firing alerts in JSON lines (the generic alert body)
firing_ids() { jq -r 'select(.status == "firing") | .id' "$@" | sort -u; }

# 1. replay --dry-run prints every alert as JSON
"$FINSENT" replay --config configs/demo.json --file "$FEED" --model "$MODEL" --dry-run \
    >"$TMP/replay.jsonl" 2>"$TMP/replay.err"
check "replay exits 0" test $? -eq 0
check "replay counts the 3 poison lines as dead letters" grep -q ', 3 dead letters,' "$TMP/replay.err"
firing_ids "$TMP/replay.jsonl" >"$TMP/replay.ids"
check "replay fires at least one alert" test -s "$TMP/replay.ids"
check "replay fires the demo's 4 alerts (Harbor Bancorp, Solace Energy, Energy / Oil, Quillon Medical)" \
    jq -s -e '[.[] | select(.status == "firing") | .key.name] | unique ==
              ["entity=HRBK", "entity=QMED", "entity=SLCE", "topic=Energy / Oil"]' "$TMP/replay.jsonl"
check "each of them resolves once" \
    jq -s -e '[.[] | select(.status == "resolved") | .id] | (length == 4 and (unique | length) == 4)' "$TMP/replay.jsonl"
check "firing alerts carry version, window, stats and samples" \
    jq -s -e 'map(select(.status == "firing")) | length > 0 and
              all(.version == 1 and (.window.start | length > 0) and (.stats.count > 0) and (.samples | length > 0))' \
    "$TMP/replay.jsonl"

check "firing alerts carry their why words and each sample its top words, offsets into its text" \
    jq -s -e 'map(select(.status == "firing")) | all((.why | length > 0) and
              all(.samples[]; . as $s | (.words | length > 0) and all(.words[]; .word == $s.text[.start:.end])))' \
    "$TMP/replay.jsonl"
check "resolved alerts carry no words" \
    jq -s -e 'map(select(.status == "resolved")) | length > 0 and all(has("why") | not)' "$TMP/replay.jsonl"

# 2. the same feed twice gives byte-identical alerts
"$FINSENT" replay --config configs/demo.json --file "$FEED" --model "$MODEL" --dry-run \
    >"$TMP/replay2.jsonl" 2>/dev/null
check "replay is deterministic" cmp "$TMP/replay.jsonl" "$TMP/replay2.jsonl"

# 2b. a sink of type file receives the same alerts, one JSON line each, mode 0600
jq --arg p "$TMP/file-sink.jsonl" --arg o "$TMP/outbox-file" \
    '.sinks = [{"name": "local", "type": "file", "path": $p}] | .outbox.dir = $o' configs/demo.json >"$TMP/file.json"
"$FINSENT" replay --config "$TMP/file.json" --file "$FEED" --model "$MODEL" >/dev/null 2>"$TMP/file.err"
check "replay with a file sink exits 0" test $? -eq 0
check "the file sink holds the replay's alerts" cmp "$TMP/file-sink.jsonl" "$TMP/replay.jsonl"
check_out "the file sink's file is mode 600" "600" stat -c %a "$TMP/file-sink.jsonl"

# 3. demo: Kafka (mock cluster) → pipeline → signed webhook; same ids as replay
timeout 120 "$FINSENT" demo --model "$MODEL" >"$TMP/demo.out" 2>"$TMP/demo.err"
check "demo exits 0" test $? -eq 0
check "demo prints a summary" grep -q "== finsent demo summary ==" "$TMP/demo.out"
check "demo shows each alert's why words" test "$(grep -c '^      why: ' "$TMP/demo.out")" -eq "$(grep -c '^ALERT ' "$TMP/demo.out")"
check "demo marks the samples' top words" grep -q '^      ".*\[[^]]*\].*"  (' "$TMP/demo.out"
check "demo summary tells what the words cost" grep -q '^alert words .* alerts explained' "$TMP/demo.out"
grep -o 'id [0-9a-f]\{12\}' "$TMP/demo.out" | cut -c4- | sort -u >"$TMP/demo.ids"
cut -c1-12 "$TMP/replay.ids" | sort -u >"$TMP/replay.ids12"
check "demo (live over Kafka) fires the same alert ids as replay" cmp "$TMP/demo.ids" "$TMP/replay.ids12"
published=$(awk '/messages published/ {print $3}' "$TMP/demo.out")
check_out "demo consumed every message" "messages consumed     $published" cat "$TMP/demo.out"
deliveries=$(awk '/webhook received/ {print $3 + $6}' "$TMP/demo.out")
check_out "every delivery carried a valid signature" "$deliveries signatures valid" cat "$TMP/demo.out"

# 4. backtest: no delivery, an HTML report with a chart per alerted key
"$FINSENT" backtest --config configs/demo.json --file "$FEED" --model "$MODEL" --report "$TMP/bt.html" \
    >"$TMP/bt.jsonl" 2>"$TMP/bt.err"
check "backtest prints the same alerts as replay" cmp "$TMP/bt.jsonl" "$TMP/replay.jsonl"
check "backtest report has charts" grep -q "<svg" "$TMP/bt.html"
check "backtest report marks the top words and lists why words" sh -c "grep -q '<td class=\"why\"><ul' '$TMP/bt.html' && grep -q '</span> <mark>' '$TMP/bt.html'"
check_rc "backtest without --file is a usage error" 2 "$FINSENT" backtest --config configs/demo.json

# 5. finsent run against a standalone mock broker fed by kcat; alerts to a Kafka topic
"$FINSENT" mock-broker --brokers 1 --topic news:3 --topic comments:3 --topic finsent.alerts:1 \
    --topic finsent.deadletter:1 >"$TMP/broker.out" 2>"$TMP/broker.err" &
broker=$!
i=0
while ! grep -q bootstrap.servers "$TMP/broker.out" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
bs=$(sed -n 's/^bootstrap.servers=//p' "$TMP/broker.out")
for t in news comments; do
    jq -r --arg t "$t" 'select(.topic == $t) | .payload' "$FEED" | kcat -P -b "$bs" -t "$t" 2>/dev/null
done
FINSENT_DEMO_BROKERS="$bs" FINSENT_DEMO_WEBHOOK="http://127.0.0.1:9/alerts" \
    "$FINSENT" run --config configs/demo.json --model "$MODEL" >"$TMP/run.out" 2>"$TMP/run.err" &
run=$!
want=$(jq -s 'length' "$TMP/replay.jsonl")
got=0
i=0
while [ "$got" -lt "$want" ] && [ $i -lt 90 ]; do
    sleep 1
    got=$(kcat -C -b "$bs" -t finsent.alerts -e -q 2>/dev/null | wc -l)
    i=$((i + 1))
done
# a message a day older than everything read: every window it belongs to has closed
echo '{"id":"late-1","ts":"2026-03-01T08:00:00Z","title":"$HRBK late headline"}' | kcat -P -b "$bs" -t news 2>/dev/null
i=0
while [ "$(kcat -C -b "$bs" -t finsent.deadletter -e -q 2>/dev/null | wc -l)" -lt 4 ] && [ $i -lt 30 ]; do
    sleep 1
    i=$((i + 1))
done
kill -TERM $run
wait $run
check "run drains and exits 0 on SIGTERM" test $? -eq 0
kcat -C -b "$bs" -t finsent.alerts -e -q 2>/dev/null >"$TMP/run.jsonl"
firing_ids "$TMP/run.jsonl" >"$TMP/run.ids"
check "run (live) fires the same alert ids as replay" cmp "$TMP/run.ids" "$TMP/replay.ids"
kcat -C -b "$bs" -t finsent.deadletter -e -q -f '%h %s\n' 2>/dev/null >"$TMP/dlq.txt"
check "run dead-letters the 3 poison messages and the late one" \
    sh -c "grep -o '^reason=[a-z_]*' '$TMP/dlq.txt' | sort | uniq -c; test \$(wc -l <'$TMP/dlq.txt') -eq 4"
check "the late event is dead-lettered as late_event with its scored JSON" \
    grep -q 'reason=late_event.*"id":"late-1".*"sentiment":{"label"' "$TMP/dlq.txt"

# 6. replay of the same history from Kafka (no group, no commits)
FINSENT_DEMO_BROKERS="$bs" "$FINSENT" replay --config configs/demo.json --model "$MODEL" --from 0 --dry-run \
    >"$TMP/kreplay.jsonl" 2>"$TMP/kreplay.err"
check "replay --from reads the Kafka history and exits 0" test $? -eq 0
# (compared by id, status and window: batches differ, so p_negative may differ in the last float digits)
alert_keys() { jq -c '[.id, .status, .window.start]' "$1" | sort; }
alert_keys "$TMP/kreplay.jsonl" >"$TMP/kreplay.keys"
alert_keys "$TMP/replay.jsonl" >"$TMP/replay.keys"
check "replay from Kafka fires the same alerts as replay from the file" cmp "$TMP/kreplay.keys" "$TMP/replay.keys"
check_err "replay --to without --from is a usage error" 2 "--to needs --from" \
    "$FINSENT" replay --config configs/demo.json --to 5
kill -TERM $broker
wait $broker
done_testing
