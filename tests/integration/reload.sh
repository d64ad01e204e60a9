# reload.sh — SIGHUP on `finsent run`: rules and sinks change while the
# service runs, and nothing is lost. A mock broker is fed the first part
# of the demo feed (before any spike) under a config whose rule cannot
# fire and whose webhook is receiver 1; the config is rewritten with the
# demo's rules and receiver 2's URL (and a changed model setting, which
# needs a restart, and a Kafka alerts sink added) and SIGHUP'd; an invalid config is then SIGHUP'd and
# rejected; the rest of the feed follows. Receiver 2 gets exactly the
# alerts a replay with the new rules gives, so does the Kafka alerts topic,
# receiver 1 gets none, and every
# produced message was read and counted.
. tests/integration/lib.sh

MODEL=${FINSENT_TEST_MODEL:-models/default}
FEED=app/demo/feed.jsonl
if [ ! -f "$MODEL/config.json" ]; then
    skip "reload tests" "no model at $MODEL"
    done_testing
    exit
fi
export FINSENT_RELOAD_SECRET=reload-secret

# start_bg NAME CMD...: runs CMD in the background, output in $TMP/NAME.out/.err
pids=""
start_bg() {
    name=$1; shift
    "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
    pids="$pids $!"
}
# wait_for FILE PATTERN: up to 10 s for a line matching PATTERN
wait_for() {
    i=0
    while ! grep -q "$2" "$1" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
}
cleanup() {
    for p in $pids; do kill -TERM "$p" 2>/dev/null; done
    for p in $pids; do wait "$p" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

start_bg broker "$FINSENT" mock-broker --brokers 1 --topic news:2 --topic comments:2 --topic finsent.deadletter:1 \
    --topic finsent.alerts:1
start_bg hook1 "$FINSENT" mock-webhook --secret-env FINSENT_RELOAD_SECRET
start_bg hook2 "$FINSENT" mock-webhook --secret-env FINSENT_RELOAD_SECRET
wait_for "$TMP/broker.out" bootstrap.servers
wait_for "$TMP/hook1.out" url=
wait_for "$TMP/hook2.out" url=
bs=$(sed -n 's/^bootstrap.servers=//p' "$TMP/broker.out")
url1=$(sed -n 's/^url=//p' "$TMP/hook1.out")
url2=$(sed -n 's/^url=//p' "$TMP/hook2.out")

NEVER='{"name": "never", "scope": "entity", "min_count": 1000000, "min_negatives": 1000000}'
DEMO_RULES=$(jq -c '.rules[]' configs/demo.json | paste -sd, -)
KAFKA_SINK=', {"name": "alerts-topic", "type": "kafka", "topic": "finsent.alerts"}'
# config RULES URL BATCH_WAIT [MORE_SINKS]: the service config, to stdout
config() {
    cat <<EOF
{
  "kafka": {"bootstrap.servers": "$bs"},
  "group_id": "finsent-reload",
  "inputs": [{"topic": "news"}, {"topic": "comments"}],
  "dead_letter_topic": "finsent.deadletter",
  "model": {"dir": "$MODEL", "threads": 1, "max_batch_wait": "$3", "max_len": 64},
  "windows": {"size": "15m", "allowed_lateness": "1m", "idle_timeout": "10s", "keys": ["entity", "topic"]},
  "baseline": {"alpha": 0.1, "warmup_windows": 8},
  "rules": [$1],
  "sinks": [{"name": "hook", "type": "webhook", "url": "$2/alerts", "secret": "\${FINSENT_RELOAD_SECRET}",
             "timeout": "5s", "give_up_after": "1m"}${4:-}],
  "outbox": {"dir": "$TMP/outbox"},
  "metrics": {"listen": "127.0.0.1:0"},
  "log": {"level": "info", "format": "json"}
}
EOF
}
config "$NEVER" "$url1" 20ms >"$TMP/run.json"
config "$DEMO_RULES" "$url2" 30ms "$KAFKA_SINK" >"$TMP/new.json"
check "both configs are valid" sh -c "'$FINSENT' config check '$TMP/run.json' && '$FINSENT' config check '$TMP/new.json'" 

# what the new rules fire on the whole feed
"$FINSENT" replay --config "$TMP/new.json" --file "$FEED" --dry-run >"$TMP/replay.jsonl" 2>/dev/null
jq -r '"\(.status) \(.id)"' "$TMP/replay.jsonl" | sort >"$TMP/replay.keys"
check "the new rules fire on the feed" grep -q firing "$TMP/replay.keys"

# the feed, split before the first hour with a spike (10:00)
cut=$(grep -n -m1 'T1[0-9]:[0-5][0-9]:' "$FEED" | cut -d: -f1)
head -n $((cut - 1)) "$FEED" >"$TMP/part1.jsonl"
tail -n +"$cut" "$FEED" >"$TMP/part2.jsonl"
produce() {
    for t in news comments; do
        jq -r --arg t "$t" 'select(.topic == $t) | .payload' "$1" | kcat -P -b "$bs" -t "$t" 2>/dev/null
    done
}
total=$(wc -l <"$FEED")

start_bg run "$FINSENT" run --config "$TMP/run.json"
run=$(echo $pids | awk '{print $NF}')
wait_for "$TMP/run.err" '/metrics'
metrics_url=$(grep -o 'http://127.0.0.1:[0-9]*/metrics' "$TMP/run.err" | head -n 1)
# metric NAME_WITH_LABELS: its value now (empty when absent)
metric() { curl -s "$metrics_url" | awk -v m="$1" '$1 == m {print $2}'; }
# wait_metric NAME VALUE: up to 60 s for the metric to reach VALUE (while run lives)
wait_metric() {
    i=0
    while [ "$(metric "$1")" != "$2" ] && [ $i -lt 120 ] && kill -0 "$run" 2>/dev/null; do
        sleep 0.5
        i=$((i + 1))
    done
}

produce "$TMP/part1.jsonl"
part1=$(wc -l <"$TMP/part1.jsonl")
wait_metric finsent_messages_in_total "$part1"
check "part 1 read ($part1 messages)" test "$(metric finsent_messages_in_total)" = "$part1"

# reload with the demo rules and receiver 2
cp "$TMP/new.json" "$TMP/run.json"
kill -HUP "$run"
wait_metric 'finsent_config_reloads_total{result="ok"}' 1
check "SIGHUP reloads the new config" test "$(metric 'finsent_config_reloads_total{result="ok"}')" = 1
check "a changed model setting is reported as needing a restart" \
    grep -q 'need a restart and are ignored until then: model' "$TMP/run.err"

# an invalid config is rejected, the running one stays
sed 's/"resolve_after"/"resolve_afterr"/' "$TMP/new.json" >"$TMP/run.json"
kill -HUP "$run"
wait_metric 'finsent_config_reloads_total{result="error"}' 1
check "an invalid config on SIGHUP is counted as an error" \
    test "$(metric 'finsent_config_reloads_total{result="error"}')" = 1
check "the rejection is one error line naming the bad key" \
    grep -q 'config reload rejected, the running config stays: .*resolve_afterr' "$TMP/run.err"
check "the service still runs" kill -0 "$run"

produce "$TMP/part2.jsonl"
wait_metric finsent_messages_in_total "$total"
want=$(wc -l <"$TMP/replay.keys")
i=0
while [ "$(grep -c . "$TMP/hook2.out")" -le "$want" ] && [ $i -lt 120 ] && kill -0 "$run" 2>/dev/null; do sleep 0.5; i=$((i + 1)); done
check "no message lost: all $total produced messages read" test "$(metric finsent_messages_in_total)" = "$total"
# accounted: "aggregated dead late" from one scrape: events through the
# windows, dead letters (all reasons), late events among them
accounted() {
    curl -s "$metrics_url" | awk '$1 == "finsent_events_aggregated_total" {a = $2}
        $1 ~ /^finsent_dead_letters_total/ {d += $2}
        $1 == "finsent_late_events_dead_lettered_total" {l = $2} END {printf "%d %d %d\n", a, d, l}'
}
# The last alert (Quillon Medical's resolve, window 16:15-16:30) goes out
# while the rest of the day (about 600 events) may still be in the
# classifier: wait, up to 60 s, until every message read is through the
# windows or dead-lettered (a sum above the total stops the wait: it fails).
short() { set -- $(accounted); [ $(($1 + $2)) -lt "$total" ]; }
i=0
while short && [ $i -lt 120 ] && kill -0 "$run" 2>/dev/null; do sleep 0.5; i=$((i + 1)); done
set -- $(accounted)
check "every message counted in windows or dead-lettered" \
    sh -c "echo 'events aggregated $1 + dead letters $2 (late_event $3) against $total messages'; [ $(($1 + $2)) -eq $total ]"
check "webhook attempts are timed (finsent_webhook_latency_seconds)" \
    test "$(metric 'finsent_webhook_latency_seconds_count{outcome="ok"}')" = "$want"
kill -TERM "$run"
wait "$run"
check "run exits 0 on SIGTERM after the reloads" test $? -eq 0

grep '"body"' "$TMP/hook2.out" | jq -r '"\(.body.status) \(.body.id)"' | sort >"$TMP/hook2.keys"
check "receiver 2 got the alerts of the new rules, as a replay fires them" cmp "$TMP/hook2.keys" "$TMP/replay.keys"
check "every delivery to receiver 2 was signed" \
    sh -c "! grep '\"body\"' '$TMP/hook2.out' | grep -q '\"signature_valid\":false'"
kcat -C -b "$bs" -t finsent.alerts -e -q 2>/dev/null | jq -r '"\(.status) \(.id)"' | sort >"$TMP/topic.keys"
check "the Kafka alerts sink added by the reload got the same alerts" cmp "$TMP/topic.keys" "$TMP/replay.keys"
check "receiver 1 (the old URL) got nothing" test "$(grep -c '"body"' "$TMP/hook1.out")" -eq 0
done_testing
