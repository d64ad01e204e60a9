# latecopy.sh — a scored record produced again long after its original (a
# classify run restarted from an older committed offset) is a copy, not a
# late event. One classify and one aggregate process read the first half
# of the feed; once the aggregate's watermark stands still at its end
# (every window of the first records long closed, their identities
# forgotten), the first 40 records of scored partition 0 are produced to
# it again, as a restarted classify run would, then the second half.
# Checks: no event late, the 40 copies dropped as copies, and every window
# and firing id equal to a single-process replay's. Before the copies' high
# water rule (app/scored_source.h), the copies were dead-lettered as late.
#
# LATECOPY_MESSAGES (default 4000): the demo feed repeated, one simulated
# day per copy; the frame is scaleout_lib.sh's.
. tests/integration/lib.sh
. tests/integration/scaleout_lib.sh

N=${LATECOPY_MESSAGES:-4000}
COPIES=40
state_setup latecopy "$N"

FINSENT_STATE_OUTBOX="$TMP/ob-c" "$FINSENT" run --config "$CFG" --model "$MODEL" --role classify \
    >"$TMP/c.out" 2>"$TMP/c.err" &
c=$!
pids="$pids $c"
FINSENT_STATE_OUTBOX="$TMP/ob-a" "$FINSENT" run --config "$CFG" --role aggregate --instance 0 \
    --dump-windows "$TMP/a0.win" >"$TMP/a0.out" 2>"$TMP/a0.err" &
a=$!
pids="$pids $a"
# the first half counted: the watermark stands still past the feed's start
state_wait_still "$TMP/a0.err"
check "the aggregate counted the first half (watermark $last)" test $same -ge 4

# the copies: scored partition 0's first records again, same keys, same bodies
kcat -C -b "$FINSENT_STATE_BROKERS" -t latecopy.scored -p 0 -o beginning -c $COPIES -e -q -f '%k\t%s\n' \
    >"$TMP/copies.tsv" 2>"$TMP/kcat-c.err"
check "read $COPIES scored records to copy" test "$(wc -l <"$TMP/copies.tsv")" -eq $COPIES
first_ts=$(head -n 1 "$TMP/copies.tsv" | cut -f2- | jq -r '.ts // empty')
kcat -P -b "$FINSENT_STATE_BROKERS" -t latecopy.scored -p 0 -K '\t' <"$TMP/copies.tsv" 2>>"$TMP/kcat-c.err"
state_produce second
state_wait_for_replay
kill -TERM $c $a
wait $a
arc=$?
wait $c
check "the aggregate exits 0 on SIGTERM" test $arc -eq 0

state_check_replay "the copies"
late=$(grep -c 'late event' "$TMP/a0.err")
check "no event late ($late logged)" test "$late" -eq 0
dups=$(sed -n 's/.*aggregate role: \([0-9]*\) duplicate.*/\1/p' "$TMP/a0.err")
check "the $COPIES copies dropped as copies (${dups:-no} dropped)" test "${dups:-0}" -ge $COPIES
echo "# messages $N: $COPIES copies of records from ${first_ts:-?} produced at watermark $last; ${dups:-?} copies dropped, $late late"
done_testing
