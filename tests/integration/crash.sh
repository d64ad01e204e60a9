# crash.sh — scale-out under a crash: a 12-partition mock cluster, three
# instances (each a `run --role classify` and a `run --role aggregate`),
# `kill -9` of one instance's two processes mid-run and a restart; then the
# same feed through one `finsent replay --file`. Checks: final window
# totals equal (every message counted once), the same firing alert ids,
# every one received by the webhook receiver (repeats only with the same
# id), nothing lost. Prints the figures.
#
# CRASH_MESSAGES (default 20000; `make crash-test` runs 200000) messages:
# the demo feed repeated, one simulated day per copy, spikes included.
# Allowed lateness covers the whole feed, so windows close only at its end
# (an end-of-feed marker per input partition): see docs/operations.md
# "Scaling out" for what this does and does not exercise.
. tests/integration/lib.sh
. tests/integration/scaleout_lib.sh

MODEL=${FINSENT_TEST_MODEL:-models/default}
N=${CRASH_MESSAGES:-20000}
[ -n "${SANITIZED:-}" ] && N=${CRASH_MESSAGES:-3000}
if [ ! -f "$MODEL/config.json" ]; then
    skip "crash test" "no model at $MODEL"
    done_testing
    exit
fi
CFG=tests/integration/crash.json
export FINSENT_CRASH_SECRET=crash-secret FINSENT_CRASH_BROKERS=127.0.0.1:9 FINSENT_CRASH_OUTBOX="$TMP/ob-x"

# usage errors of the roles
check_err "a role without scored_topic is a usage error" 2 "needs a scored topic" \
    env FINSENT_DEMO_SECRET=x FINSENT_DEMO_OUTBOX="$TMP/ob-demo" "$FINSENT" run --config configs/demo.json --role classify
check_rc "--instance beyond aggregate.instances exits 2" 2 "$FINSENT" run --config "$CFG" --role aggregate --instance 3
check_rc "--instance without --role aggregate exits 2" 2 "$FINSENT" run --config "$CFG" --instance 0
check_rc "an unknown role exits 2" 2 "$FINSENT" run --config "$CFG" --role both
pids=""
cleanup() {
    for p in $pids; do kill -9 "$p" 2>/dev/null; done
    [ -n "${CRASH_KEEP:-}" ] && cp -r "$TMP/." "$CRASH_KEEP/"
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# the feed and 2 end markers per input partition (scaleout_lib.sh)
scaleout_feed "$N" 12
check "feed of $N messages and 48 end markers written" test "$(wc -l <"$TMP/feed.jsonl")" -eq "$N" -a "$(wc -l <"$TMP/markers.jsonl")" -eq 48

# 1. one process: replay of the same feed, same config
FINSENT_CRASH_BROKERS=127.0.0.1:9 FINSENT_CRASH_OUTBOX="$TMP/ob-replay" \
    "$FINSENT" replay --config "$CFG" --model "$MODEL" --file "$TMP/all.jsonl" --dry-run \
    --dump-windows "$TMP/replay.win" >"$TMP/replay.jsonl" 2>"$TMP/replay.err"
check "replay exits 0" test $? -eq 0
scaleout_expect

# 2. the cluster, the receiver, the feed
scaleout_cluster FINSENT_CRASH_SECRET --brokers 3 --topic news:12 --topic comments:12 --topic crash.scored:12 \
    --topic crash.deadletter:1
export FINSENT_CRASH_BROKERS="$cluster_brokers" FINSENT_CRASH_WEBHOOK="$cluster_webhook"
# the deliveries so far as ID <tab> STATUS <tab> valid|invalid, from
# mock-webhook's JSON lines (a line being written is skipped); replaces
# scaleout_lib.sh's two-column hook_tsv
hook_tsv() {
    grep -v '^url=' "$TMP/hook.json" | jq -rR 'fromjson? | [.idempotency_key // "-", (.body.status? // "-"),
        (if .signature_valid then "valid" else "invalid" end)] | @tsv' >"$TMP/hook.out"
}
produced=0
for t in news comments; do
    # a queue as large as the feed: kcat drops what does not fit otherwise
    jq -r --arg t "$t" 'select(.topic == $t) | .payload' "$TMP/feed.jsonl" |
        kcat -P -b "$FINSENT_CRASH_BROKERS" -t "$t" -X queue.buffering.max.messages=1000000 2>"$TMP/kcat.err" &&
        produced=$((produced + 1))
    p=0
    while [ $p -lt 12 ]; do
        jq -r --arg t "$t" --argjson p $p 'select(.topic == $t and .partition == $p) | .payload' "$TMP/markers.jsonl" |
            kcat -P -b "$FINSENT_CRASH_BROKERS" -t "$t" -p $p 2>/dev/null
        p=$((p + 1))
    done
done

check "kcat produced the whole feed" test $produced -eq 2

# 3. three instances: classify i and aggregate i
start_classify() {
    FINSENT_CRASH_OUTBOX="$TMP/ob-c$1" "$FINSENT" run --config "$CFG" --model "$MODEL" --role classify \
        >>"$TMP/c$1.out" 2>>"$TMP/c$1.err" &
    eval "c$1=$!"
    pids="$pids $!"
}
start_aggregate() {
    FINSENT_CRASH_OUTBOX="$TMP/ob-a$1" "$FINSENT" run --config "$CFG" --role aggregate --instance "$1" \
        --dump-windows "$TMP/a$1.win" >>"$TMP/a$1.out" 2>>"$TMP/a$1.err" &
    eval "a$1=$!"
    pids="$pids $!"
}
for i in 0 1 2; do start_classify $i; start_aggregate $i; done

# metric NAME FILE: the value of a metric of the process whose log is FILE
# kill -9 instance 1 (both processes) once a third of the scored records reached aggregate 1
want=$((N / 12))
i=0
while [ "$(metric finsent_events_aggregated_total "$TMP/a1.err" || echo 0)" -lt $want ] 2>/dev/null && [ $i -lt 600 ]; do
    sleep 0.5
    i=$((i + 1))
done
before=$(metric finsent_events_aggregated_total "$TMP/a1.err")
wm_before=$(metric finsent_watermark_ms "$TMP/a1.err")
kill -9 $c1 $a1
wait $c1 $a1 2>/dev/null
echo "# killed instance 1 (classify and aggregate) after aggregate 1 counted $before records, watermark $wm_before"
# mid-stream: the wait reached its count (not a timeout or an empty
# scrape), and the instance had not reached the end of the feed
check "instance 1 was killed mid-stream (${before:-no} records counted, at least $want)" \
    test "${before:-0}" -ge "$want" -a "${wm_before:-$end_ms}" -lt "$cutoff"
sleep 1
start_classify 1
start_aggregate 1

# 4. wait for every real window to close and every alert to arrive
total=$(wc -l <"$TMP/replay.w")
i=0
while [ $i -lt 900 ]; do
    got=$(cat "$TMP"/a?.win 2>/dev/null | real_windows | cut -f1,2 | sort -u | wc -l)
    hook_tsv
    rec=$(cut -f1 "$TMP/hook.out" | sort -u | grep -cFxf "$TMP/replay.ids")
    [ "$got" -ge "$total" ] && [ "$rec" -ge "$(wc -l <"$TMP/replay.ids")" ] && break
    sleep 1
    i=$((i + 1))
done
for i in 0 1 2; do eval "kill -TERM \$c$i \$a$i"; done
for i in 0 1 2; do eval "wait \$c$i \$a$i"; done

hook_tsv
cat "$TMP"/a?.win | real_windows >"$TMP/dist.w"
check "every window closed again after the crash has the same totals" \
    test "$(cut -f1,2 "$TMP/dist.w" | sort | uniq -d | wc -l)" -eq 0
check "final window totals equal the single-process replay's ($total windows)" cmp "$TMP/dist.w" "$TMP/replay.w"
cut -f1 "$TMP/hook.out" | grep -v '^url=' | sort -u >"$TMP/hook.ids"
awk -F'\t' '$2 == "firing" {print $1}' "$TMP/hook.out" | sort -u >"$TMP/hook.firing"
check "the same firing alert ids as the replay" cmp "$TMP/hook.firing" "$TMP/replay.ids"
check "every delivery signed and valid" test "$(awk -F'\t' '$3 != "valid"' "$TMP/hook.out" | wc -l)" -eq 0
lost=$(comm -23 "$TMP/replay.ids" "$TMP/hook.firing" | wc -l)
check "no alert lost" test "$lost" -eq 0
deliveries=$(grep -vc '^url=' "$TMP/hook.out")
repeats=$(grep -v '^url=' "$TMP/hook.out" | cut -f1,2 | sort | uniq -d | wc -l)
dups=$(cat "$TMP"/a?.err | sed -n 's/.*aggregate role: \([0-9]*\) duplicate.*/\1/p' | awk '{s += $1} END {print s + 0}')
rebuilt=$(cat "$TMP"/a?.err | sed -n 's/.*; \([0-9]*\) records rebuilt in \([0-9.]*\) s after the last one.*/\1 \2/p' | awk '{n += $1; t += $2} END {printf "%d records in %.2f s", n, t}')
events=$(sed -n 's/^finsent: \([0-9]*\) events classified.*/\1/p' "$TMP/replay.err")
echo "# messages $N (+48 markers): replay classified $events events, $total windows, $(wc -l <"$TMP/replay.ids") firing alerts"
echo "# distributed: $(wc -l <"$TMP/dist.w") windows equal; $deliveries webhook deliveries, $(wc -l <"$TMP/hook.ids") distinct ids, $repeats repeated with the same id; $dups duplicate scored records dropped; rebuilt $rebuilt; lost alerts $lost"
kill -TERM $pids 2>/dev/null
done_testing
