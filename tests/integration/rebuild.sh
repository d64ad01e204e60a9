# rebuild.sh — an aggregate instance restarted mid-run keeps its keys'
# baselines and open alerts: windows close during the run (allowed
# lateness 1m), rules need 8 warm windows, and the one aggregate instance
# is killed (-9) once the first half of the feed is counted and committed, then started
# again; only then the second half of the feed is produced. On start it reads its scored partitions again from their
# beginning up to the committed offsets (rebuild records) without sending
# again what was sent. Checks: the firing alert ids received by the
# webhook equal a single-process `finsent replay` of the same feed (an
# instance starting with empty baselines misses or adds alerts after the
# restart), every window's totals equal the replay's (windows closed
# twice, before the kill and in the rebuild, with the same totals), records
# were rebuilt and transitions muted. Prints the figures.
#
# REBUILD_MESSAGES (default 6000, 4000 under SANITIZED=1): the demo feed
# repeated, one simulated day per copy.
. tests/integration/lib.sh

MODEL=${FINSENT_TEST_MODEL:-models/default}
N=${REBUILD_MESSAGES:-6000}
[ -n "${SANITIZED:-}" ] && N=${REBUILD_MESSAGES:-4000}
if [ ! -f "$MODEL/config.json" ]; then
    skip "rebuild test" "no model at $MODEL"
    done_testing
    exit
fi
CFG=tests/integration/rebuild.json
export FINSENT_REBUILD_SECRET=rebuild-secret FINSENT_REBUILD_BROKERS=127.0.0.1:9
pids=""
cleanup() {
    for p in $pids; do kill -9 "$p" 2>/dev/null; done
    [ -n "${REBUILD_KEEP:-}" ] && cp -r "$TMP/." "$REBUILD_KEEP/"
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
FINSENT_REBUILD_OUTBOX="$TMP/ob-replay" "$FINSENT" replay --config "$CFG" --model "$MODEL" --file "$TMP/all.jsonl" \
    --dry-run --dump-windows "$TMP/replay.win" >"$TMP/replay.jsonl" 2>"$TMP/replay.err"
check "replay exits 0" test $? -eq 0
cutoff=$((end_ms - 900000)) # marker windows never close in the live run
real_windows() { awk -F'\t' -v c=$cutoff '$2 < c' "$@" | sort -u; }
real_windows "$TMP/replay.win" >"$TMP/replay.w"
jq -r --argjson c $cutoff 'select(.status == "firing" and (.window.start | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601) * 1000 < $c) | .id' \
    "$TMP/replay.jsonl" | sort -u >"$TMP/replay.ids"
check "replay fires alerts" test -s "$TMP/replay.ids"

# 2. the cluster, the receiver, the feed
"$FINSENT" mock-broker --brokers 1 --topic news:4 --topic comments:4 --topic rebuild.scored:4 \
    --topic rebuild.deadletter:1 >"$TMP/broker.out" 2>"$TMP/broker.err" &
pids="$pids $!"
"$FINSENT" mock-webhook --secret-env FINSENT_REBUILD_SECRET >"$TMP/hook.json" 2>"$TMP/hook.err" &
pids="$pids $!"
i=0
while ! { grep -q bootstrap.servers "$TMP/broker.out" && grep -q url= "$TMP/hook.json"; } && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
export FINSENT_REBUILD_BROKERS=$(sed -n 's/^bootstrap.servers=//p' "$TMP/broker.out")
export FINSENT_REBUILD_WEBHOOK=$(sed -n 's/^url=//p' "$TMP/hook.json")
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
            kcat -P -K '\t' -b "$FINSENT_REBUILD_BROKERS" -t "$t" -X queue.buffering.max.messages=1000000 \
                2>"$TMP/kcat.err"
        [ "$1" = first ] && continue
        for p in 0 1 2 3; do
            jq -r --arg t "$t" --argjson p $p 'select(.topic == $t and .partition == $p) | .payload' \
                "$TMP/markers.jsonl" | kcat -P -b "$FINSENT_REBUILD_BROKERS" -t "$t" -p $p 2>/dev/null
        done
    done
}
split=$(( 1772409600000 + cycles * 86400000 / 2 ))
produce first

# 3. one classify and one aggregate process
FINSENT_REBUILD_OUTBOX="$TMP/ob-c" "$FINSENT" run --config "$CFG" --model "$MODEL" --role classify \
    >"$TMP/c.out" 2>"$TMP/c.err" &
c=$!
pids="$pids $c"
start_aggregate() {
    FINSENT_REBUILD_OUTBOX="$TMP/ob-a" "$FINSENT" run --config "$CFG" --role aggregate --instance 0 \
        --dump-windows "$TMP/a$1.win" >"$TMP/a$1.out" 2>"$TMP/a$1.err" &
    a=$!
    pids="$pids $a"
}
start_aggregate 0
metric() {
    port=$(sed -n 's/.*metrics on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$2" | tail -n 1)
    [ -n "$port" ] && curl -s "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 == m {printf "%.0f\n", $2}'
}
# kill -9 once the first part is counted and the watermark stands still
# (the windows it closes closed, their records acknowledged), 2 s later
# (offsets committed); only then the second part comes
last=x same=0 i=0
while [ $same -lt 4 ] && [ $i -lt 600 ]; do
    sleep 0.5
    wm=$(metric finsent_watermark_ms "$TMP/a0.err")
    if [ -n "$wm" ] && [ "$wm" -gt 1772409600000 ] 2>/dev/null && [ "$wm" = "$last" ]; then same=$((same + 1)); else same=0; fi
    last=$wm
    i=$((i + 1))
done
sleep 2
before=$(metric finsent_events_acked_total "$TMP/a0.err")
kill -9 $a
wait $a 2>/dev/null
echo "# killed the aggregate instance at watermark $last after $before records were acknowledged"
hook_tsv
cut -f1 "$TMP/hook.out" | sort -u >"$TMP/hook.before"
check "alerts fired before the kill" test -s "$TMP/hook.before"
check "alerts are left to fire after it" test "$(comm -13 "$TMP/hook.before" "$TMP/replay.ids" | wc -l)" -gt 0
produce second
start_aggregate 1

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
kill -TERM $c $a
wait $a
arc=$?
wait $c
hook_tsv
check "the restarted aggregate instance exits 0 on SIGTERM" test $arc -eq 0

cat "$TMP/a0.win" "$TMP/a1.win" | real_windows >"$TMP/dist.w"
check "a window closed again after the restart has the same totals" \
    test "$(cut -f1,2 "$TMP/dist.w" | sort | uniq -d | wc -l)" -eq 0
check "every window has the replay's totals ($total windows)" cmp "$TMP/dist.w" "$TMP/replay.w"
awk -F'\t' '$2 == "firing" {print $1}' "$TMP/hook.out" | sort -u >"$TMP/hook.firing"
check "the same firing alert ids as the replay" cmp "$TMP/hook.firing" "$TMP/replay.ids"
summary=$(sed -n 's/.*aggregate role: .*; \([0-9]*\) records rebuilt in \([0-9.]*\) s after the last one, \([0-9]*\) alert.*/\1 \2 \3/p' "$TMP/a1.err")
rebuilt=${summary%% *}
muted=${summary##* }
check "the restarted instance rebuilt records ($rebuilt)" test "${rebuilt:-0}" -gt 0
check "transitions sent before the kill were not sent again ($muted muted)" test "${muted:-0}" -gt 0
deliveries=$(wc -l <"$TMP/hook.out")
repeats=$(cut -f1,2 "$TMP/hook.out" | sort | uniq -d | wc -l)
echo "# messages $N (+16 markers): $total windows, $(wc -l <"$TMP/replay.ids") firing alerts in the replay, $(wc -l <"$TMP/hook.before") ids received before the kill"
echo "# restart: $rebuilt records rebuilt in $(echo "$summary" | cut -d' ' -f2) s, $muted transitions not sent again; $deliveries deliveries, $repeats repeated with the same id"
done_testing
