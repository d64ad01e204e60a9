# failover.sh — two aggregate instances share the scored topic (4
# partitions) through their consumer group; one is killed (-9) mid-run and
# NOT restarted: the survivor takes its partitions (a rebalance: every
# assigned partition is read again from its beginning, the state rebuilt,
# the transitions sent before muted). Windows close during the run
# (allowed lateness 1m) and rules need 8 warm windows. The first half of
# the feed is counted, committed and delivered by both instances, the
# victim is killed, then the second half comes. Checks: both instances
# owned partitions before the kill, the survivor owned all four after it,
# the firing alert ids received by the webhook equal a single-process
# `finsent replay` of the same feed (a survivor with a's keys' baselines
# empty misses alerts; a victim's partitions left unread miss windows and
# alerts), every window's totals equal the replay's. Prints the figures.
#
# FAILOVER_MESSAGES (default 6000, 4000 under SANITIZED=1): the demo feed
# repeated, one simulated day per copy.
. tests/integration/lib.sh

MODEL=${FINSENT_TEST_MODEL:-models/default}
N=${FAILOVER_MESSAGES:-6000}
[ -n "${SANITIZED:-}" ] && N=${FAILOVER_MESSAGES:-4000}
if [ ! -f "$MODEL/config.json" ]; then
    skip "failover test" "no model at $MODEL"
    done_testing
    exit
fi
CFG=tests/integration/failover.json
export FINSENT_FAILOVER_SECRET=failover-secret FINSENT_FAILOVER_BROKERS=127.0.0.1:9
pids=""
cleanup() {
    for p in $pids; do kill -9 "$p" 2>/dev/null; done
    [ -n "${FAILOVER_KEEP:-}" ] && cp -r "$TMP/." "$FAILOVER_KEEP/"
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# the feed: copy k of the demo feed shifted k days, ids suffixed
cycles=$(( (N + 1983) / 1984 ))
k=0
while [ $k -lt $cycles ]; do
    jq -c --argjson k $k '(.payload | fromjson? // null) as $m
        | if ($m | type) == "object" then
            .payload = ($m | .id = "\(.id)-\($k)"
                           | .ts = ((.ts[0:19] + "Z" | fromdateiso8601) * 1000 + (.ts[20:23] | tonumber) + $k * 86400000)
                           | tojson)
          else . end' app/demo/feed.jsonl
    k=$((k + 1))
done | head -n "$N" >"$TMP/feed.jsonl"
# end of feed: 2 markers per input partition, 3 days after the feed, each
# naming 60 entities so that every scored partition gets one
end_ms=$(( 1772409600000 + (cycles + 3) * 86400000 ))
ents=$(seq -f '"ZZEND%03g"' 1 120 | paste -sd, -)
for t in news comments; do
    for p in 0 1 2 3; do
        for half in 0 1; do
            e=$(echo "$ents" | cut -d, -f$((half * 60 + 1))-$((half * 60 + 60)))
            echo "{\"topic\":\"$t\",\"partition\":$p,\"payload\":$(printf '{"id":"end-%s-%d-%d","ts":%s,"text":"end of feed","entities":[%s]}' \
                "$t" "$p" "$half" "$end_ms" "$e" | jq -Rs .)}"
        done
    done
done >"$TMP/markers.jsonl"
cat "$TMP/feed.jsonl" "$TMP/markers.jsonl" >"$TMP/all.jsonl"

# 1. one process
FINSENT_FAILOVER_OUTBOX="$TMP/ob-replay" "$FINSENT" replay --config "$CFG" --model "$MODEL" --file "$TMP/all.jsonl" \
    --dry-run --dump-windows "$TMP/replay.win" >"$TMP/replay.jsonl" 2>"$TMP/replay.err"
check "replay exits 0" test $? -eq 0
cutoff=$((end_ms - 900000)) # marker windows never close in the live run
real_windows() { awk -F'\t' -v c=$cutoff '$2 < c' "$@" | sort -u; }
real_windows "$TMP/replay.win" >"$TMP/replay.w"
jq -r --argjson c $cutoff 'select(.status == "firing" and (.window.start | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601) * 1000 < $c) | .id' \
    "$TMP/replay.jsonl" | sort -u >"$TMP/replay.ids"
check "replay fires alerts" test -s "$TMP/replay.ids"

# 2. the cluster, the receiver, the feed
"$FINSENT" mock-broker --brokers 1 --topic news:4 --topic comments:4 --topic failover.scored:4 \
    --topic failover.deadletter:1 >"$TMP/broker.out" 2>"$TMP/broker.err" &
pids="$pids $!"
"$FINSENT" mock-webhook --secret-env FINSENT_FAILOVER_SECRET >"$TMP/hook.json" 2>"$TMP/hook.err" &
pids="$pids $!"
i=0
while ! { grep -q bootstrap.servers "$TMP/broker.out" && grep -q url= "$TMP/hook.json"; } && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
export FINSENT_FAILOVER_BROKERS=$(sed -n 's/^bootstrap.servers=//p' "$TMP/broker.out")
export FINSENT_FAILOVER_WEBHOOK=$(sed -n 's/^url=//p' "$TMP/hook.json")
hook_tsv() {
    grep -v '^url=' "$TMP/hook.json" | jq -rR 'fromjson? | [.idempotency_key // "-", (.body.status? // "-")] | @tsv' \
        >"$TMP/hook.out"
}
# produce PART (first: event time before the middle of the feed, and the
# bad messages; second: the rest, then the end markers), keyed by line
# so that every input partition gets its share in order)
produce() {
    for t in news comments; do
        jq -r --arg t "$t" --argjson s $split --arg part "$1" '((.payload | fromjson?) // null) as $m
            | (if ($m | type) == "object" and ($m.ts | type) == "number" then $m.ts else 0 end) as $ts
            | select(.topic == $t and (($part == "first") == ($ts < $s)))
            | "\(input_line_number)\t\(.payload)"' "$TMP/feed.jsonl" |
            kcat -P -K '\t' -b "$FINSENT_FAILOVER_BROKERS" -t "$t" -X queue.buffering.max.messages=1000000 \
                2>"$TMP/kcat.err"
        [ "$1" = first ] && continue
        for p in 0 1 2 3; do
            jq -r --arg t "$t" --argjson p $p 'select(.topic == $t and .partition == $p) | .payload' \
                "$TMP/markers.jsonl" | kcat -P -b "$FINSENT_FAILOVER_BROKERS" -t "$t" -p $p 2>/dev/null
        done
    done
}
split=$(( 1772409600000 + cycles * 86400000 / 2 ))
produce first

# 3. one classify and two aggregate processes in one group
FINSENT_FAILOVER_OUTBOX="$TMP/ob-c" "$FINSENT" run --config "$CFG" --model "$MODEL" --role classify \
    >"$TMP/c.out" 2>"$TMP/c.err" &
c=$!
pids="$pids $c"
FINSENT_FAILOVER_OUTBOX="$TMP/ob-a0" "$FINSENT" run --config "$CFG" --role aggregate --instance 0 \
    --dump-windows "$TMP/a0.win" >"$TMP/a0.out" 2>"$TMP/a0.err" &
a0=$!
pids="$pids $a0"
FINSENT_FAILOVER_OUTBOX="$TMP/ob-a1" "$FINSENT" run --config "$CFG" --role aggregate --instance 1 \
    --dump-windows "$TMP/a1.win" >"$TMP/a1.out" 2>"$TMP/a1.err" &
a1=$!
pids="$pids $a1"
metric() {
    port=$(sed -n 's/.*metrics on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$2" | tail -n 1)
    [ -n "$port" ] && curl -s "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 == m {printf "%.0f\n", $2}'
}
# kill -9 a1 once both own partitions, the first part is counted and both
# watermarks stand still (the windows it closes closed, their records
# acknowledged and their alerts delivered), 2 s later (offsets committed);
# only then the second part comes
last=x same=0 i=0
while [ $same -lt 4 ] && [ $i -lt 600 ]; do
    sleep 0.5
    wm="$(metric finsent_watermark_ms "$TMP/a0.err")/$(metric finsent_watermark_ms "$TMP/a1.err")"
    p0=$(metric finsent_assigned_partitions "$TMP/a0.err")
    p1=$(metric finsent_assigned_partitions "$TMP/a1.err")
    lo=$(echo "$wm" | tr / '\n' | sort -n | head -n 1)
    if [ "${p0:-0}" -gt 0 ] && [ "${p1:-0}" -gt 0 ] && [ -n "$lo" ] && [ "$lo" -gt 1772409600000 ] 2>/dev/null &&
        [ "$wm" = "$last" ]; then same=$((same + 1)); else same=0; fi
    last=$wm
    i=$((i + 1))
done
sleep 2
check "both aggregate instances own scored partitions before the kill ($p0 + $p1)" \
    test "${p0:-0}" -gt 0 -a "${p1:-0}" -gt 0 -a $((${p0:-0} + ${p1:-0})) -eq 4
before=$(metric finsent_events_acked_total "$TMP/a1.err")
kill -9 $a1
wait $a1 2>/dev/null
echo "# killed aggregate instance 1 (partitions $p1) at watermarks $last after it acknowledged $before records"
hook_tsv
cut -f1 "$TMP/hook.out" | sort -u >"$TMP/hook.before"
check "alerts fired before the kill" test -s "$TMP/hook.before"
check "alerts are left to fire after it" test "$(comm -13 "$TMP/hook.before" "$TMP/replay.ids" | wc -l)" -gt 0
produce second

# 4. wait for every real window to close and every alert to arrive
total=$(wc -l <"$TMP/replay.w")
i=0
while [ $i -lt 600 ]; do
    got=$(cat "$TMP/a0.win" "$TMP/a1.win" 2>/dev/null | real_windows | cut -f1,2 | sort -u | wc -l)
    hook_tsv
    rec=$(cut -f1 "$TMP/hook.out" | sort -u | grep -cFxf "$TMP/replay.ids")
    [ "$got" -ge "$total" ] && [ "$rec" -ge "$(wc -l <"$TMP/replay.ids")" ] && break
    sleep 0.5
    i=$((i + 1))
done
sleep 1
owned=$(metric finsent_assigned_partitions "$TMP/a0.err")
kill -TERM $c $a0
wait $a0
arc=$?
wait $c
hook_tsv
check "the survivor owns every scored partition after the kill ($owned)" test "${owned:-0}" -eq 4
check "the survivor exits 0 on SIGTERM" test $arc -eq 0

cat "$TMP/a0.win" "$TMP/a1.win" | real_windows >"$TMP/dist.w"
check "a window closed again after a rebalance has the same totals" \
    test "$(cut -f1,2 "$TMP/dist.w" | sort | uniq -d | wc -l)" -eq 0
check "every window has the replay's totals ($total windows)" cmp "$TMP/dist.w" "$TMP/replay.w"
awk -F'\t' '$2 == "firing" {print $1}' "$TMP/hook.out" | sort -u >"$TMP/hook.firing"
check "the same firing alert ids as the replay, all received" cmp "$TMP/hook.firing" "$TMP/replay.ids"
summary=$(sed -n 's/.*aggregate role: .*; \([0-9]*\) assignment(s), \([0-9]*\) records rebuilt in all; \([0-9]*\) records rebuilt in \([0-9.]*\) s after the last one, \([0-9]*\) alert.*/\1 \2 \3 \4 \5/p' "$TMP/a0.err")
set -- $summary
check "the survivor was assigned again after the kill (${1:-0} assignments)" test "${1:-0}" -ge 2
check "the survivor rebuilt records after the takeover (${3:-0})" test "${3:-0}" -gt 0
deliveries=$(wc -l <"$TMP/hook.out")
repeats=$(cut -f1,2 "$TMP/hook.out" | sort | uniq -d | wc -l)
echo "# messages $N (+16 markers): $total windows, $(wc -l <"$TMP/replay.ids") firing alerts in the replay, $(wc -l <"$TMP/hook.before") ids received before the kill"
echo "# survivor: ${1:-?} assignments, ${2:-?} records rebuilt in all; the takeover rebuilt ${3:-?} records (4 partitions) in ${4:-?} s; ${5:-?} transitions not sent again; $deliveries deliveries, $repeats repeated with the same id"
done_testing
