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
# were rebuilt and transitions muted, and the firing alerts the aggregate
# role sent carry their "why" words. Prints the figures.
#
# REBUILD_MESSAGES (default 6000, 4000 under SANITIZED=1): the demo feed
# repeated, one simulated day per copy; the frame is scaleout_lib.sh's.
# FINSENT_STATE_ASSIGNMENT=static: the instance owns its partitions
# statically and checkpoints (docs/state.md): the restart restores its
# checkpoint and reads only what came after it (no record rebuilt).
. tests/integration/lib.sh
. tests/integration/scaleout_lib.sh

N=${REBUILD_MESSAGES:-6000}
[ -n "${SANITIZED:-}" ] && N=${REBUILD_MESSAGES:-4000}
state_setup rebuild "$N"

# 3. one classify and one aggregate process
FINSENT_STATE_OUTBOX="$TMP/ob-c" "$FINSENT" run --config "$CFG" --model "$MODEL" --role classify \
    >"$TMP/c.out" 2>"$TMP/c.err" &
c=$!
pids="$pids $c"
start_aggregate() {
    FINSENT_STATE_OUTBOX="$TMP/ob-a" "$FINSENT" run --config "$CFG" --role aggregate --instance 0 \
        --dump-windows "$TMP/a$1.win" >"$TMP/a$1.out" 2>"$TMP/a$1.err" &
    a=$!
    pids="$pids $a"
}
start_aggregate 0
# kill -9 once the first part is counted and the watermark stands still
# (the windows it closes closed, their records acknowledged), 2 s later
# (offsets committed); only then the second part comes
state_wait_still "$TMP/a0.err"
sleep 2
before=$(metric finsent_events_acked_total "$TMP/a0.err")
# scored_end: the scored topic's end offsets, summed over its 4 partitions
scored_end() {
    kcat -Q -b "$FINSENT_STATE_BROKERS" -t rebuild.scored:0:-1 -t rebuild.scored:1:-1 -t rebuild.scored:2:-1 \
        -t rebuild.scored:3:-1 2>/dev/null | awk '{ s += $4 } END { print s + 0 }'
}
kill -9 $a
wait $a 2>/dev/null
h_kill=$(scored_end)
echo "# killed the aggregate instance at watermark $last after $before records were acknowledged ($h_kill scored records)"
state_check_killed
state_produce second
start_aggregate 1

# 4. wait for every real window to close and every alert to arrive
state_wait_for_replay
h_end=$(scored_end)
kill -TERM $c $a
wait $a
arc=$?
wait $c
check "the restarted aggregate instance exits 0 on SIGTERM" test $arc -eq 0

state_check_replay "the restart"
grep -v '^url=' "$TMP/hook.json" >"$TMP/hook.bodies"
check "the aggregate role's firing alerts carry their why words (model loaded for them)" \
    jq -s -e '[.[] | .body | select(.status == "firing")] | length > 0 and all(.why | length > 0)' "$TMP/hook.bodies"
# what the restarted instance read of the records that were there before
# the kill: all it read, less what came after
read_all=$(sed -n 's/^finsent: \([0-9]*\) events classified.*/\1/p' "$TMP/a1.err")
reread=$(( ${read_all:-0} - (h_end - h_kill) ))
echo "# restart: $reread of the $h_kill scored records from before the kill read again"
summary=$(sed -n 's/.*aggregate role: .*; \([0-9]*\) records rebuilt in \([0-9.]*\) s after the last one, \([0-9]*\) alert.*/\1 \2 \3/p' "$TMP/a1.err")
rebuilt=${summary%% *}
muted=${summary##* }
if [ "${FINSENT_STATE_ASSIGNMENT:-group}" = static ]; then
    # static assignment: the restart goes on from its checkpoint, reading
    # only what came after it
    check "the restarted instance went on from its checkpoint" grep -q 'going on from the restored checkpoint' "$TMP/a1.err"
    check "the restarted instance rebuilt no record ($rebuilt)" test "${rebuilt:-x}" = 0
    bytes=$(sed -n 's/.*restored checkpoint [0-9]* (\([0-9]*\) bytes).*/\1/p' "$TMP/a1.err" | head -n 1)
    t_start=$(head -n 1 "$TMP/a1.err" | jq -r '.ts')
    t_on=$(grep 'going on from the restored checkpoint' "$TMP/a1.err" | head -n 1 | jq -r '.ts')
    again=$(sed -n 's/.*; \([0-9]*\) records read again below a restored checkpoint.*/\1/p' "$TMP/a1.err")
    echo "# restart: checkpoint of ${bytes:-?} bytes restored, going on $(( $(date -d "$t_on" +%s%3N) - $(date -d "$t_start" +%s%3N) )) ms after the first log line; ${again:-?} records read again below it"
else
    check "the restarted instance rebuilt records ($rebuilt)" test "${rebuilt:-0}" -gt 0
    check "transitions sent before the kill were not sent again ($muted muted)" test "${muted:-0}" -gt 0
fi
deliveries=$(wc -l <"$TMP/hook.out")
repeats=$(cut -f1,2 "$TMP/hook.out" | sort | uniq -d | wc -l)
echo "# messages $N (+16 markers): $total windows, $(wc -l <"$TMP/replay.ids") firing alerts in the replay, $(wc -l <"$TMP/hook.before") ids received before the kill"
echo "# restart: $rebuilt records rebuilt in $(echo "$summary" | cut -d' ' -f2) s, $muted transitions not sent again; $deliveries deliveries, $repeats repeated with the same id"
done_testing
