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
# repeated, one simulated day per copy; the frame is scaleout_lib.sh's.
. tests/integration/lib.sh
. tests/integration/scaleout_lib.sh

N=${FAILOVER_MESSAGES:-6000}
[ -n "${SANITIZED:-}" ] && N=${FAILOVER_MESSAGES:-4000}
state_setup failover "$N"

# 3. one classify and two aggregate processes in one group
FINSENT_STATE_OUTBOX="$TMP/ob-c" "$FINSENT" run --config "$CFG" --model "$MODEL" --role classify \
    >"$TMP/c.out" 2>"$TMP/c.err" &
c=$!
pids="$pids $c"
FINSENT_STATE_OUTBOX="$TMP/ob-a0" "$FINSENT" run --config "$CFG" --role aggregate --instance 0 \
    --dump-windows "$TMP/a0.win" >"$TMP/a0.out" 2>"$TMP/a0.err" &
a0=$!
pids="$pids $a0"
FINSENT_STATE_OUTBOX="$TMP/ob-a1" "$FINSENT" run --config "$CFG" --role aggregate --instance 1 \
    --dump-windows "$TMP/a1.win" >"$TMP/a1.out" 2>"$TMP/a1.err" &
a1=$!
pids="$pids $a1"
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
state_check_killed
state_produce second

# 4. wait for every real window to close and every alert to arrive
state_wait_for_replay
owned=$(metric finsent_assigned_partitions "$TMP/a0.err")
kill -TERM $c $a0
wait $a0
arc=$?
wait $c
check "the survivor owns every scored partition after the kill ($owned)" test "${owned:-0}" -eq 4
check "the survivor exits 0 on SIGTERM" test $arc -eq 0

state_check_replay "a rebalance"
summary=$(sed -n 's/.*aggregate role: .*; \([0-9]*\) assignment(s), \([0-9]*\) records rebuilt in all; \([0-9]*\) records rebuilt in \([0-9.]*\) s after the last one, \([0-9]*\) alert.*/\1 \2 \3 \4 \5/p' "$TMP/a0.err")
set -- $summary
check "the survivor was assigned again after the kill (${1:-0} assignments)" test "${1:-0}" -ge 2
check "the survivor rebuilt records after the takeover (${3:-0})" test "${3:-0}" -gt 0
deliveries=$(wc -l <"$TMP/hook.out")
repeats=$(cut -f1,2 "$TMP/hook.out" | sort | uniq -d | wc -l)
echo "# messages $N (+16 markers): $total windows, $(wc -l <"$TMP/replay.ids") firing alerts in the replay, $(wc -l <"$TMP/hook.before") ids received before the kill"
echo "# survivor: ${1:-?} assignments, ${2:-?} records rebuilt in all; the takeover rebuilt ${3:-?} records (4 partitions) in ${4:-?} s; ${5:-?} transitions not sent again; $deliveries deliveries, $repeats repeated with the same id"
done_testing
