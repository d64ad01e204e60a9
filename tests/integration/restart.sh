# restart.sh — `finsent run` (role all) across restarts equals a replay.
#
# The demo feed repeated over several simulated days (scaleout_lib.sh) is
# produced with kcat to news:3 and comments:3 before finsent starts; a
# `finsent replay` of the same feed is the truth. Each scenario runs
# `finsent run` against its own consumer group, outbox, state and webhook
# receiver, stops it one or more times, starts it again, and waits for the
# end of the feed. Then, against the replay:
#   - every closed window has the replay's totals (a window closed twice,
#     before and after a stop, has the same totals both times);
#   - no event is late (the replay has none);
#   - the receiver got exactly the replay's alert transitions (id, status,
#     window start), each with the replay's figures (counts, negative and
#     baseline share, z-score, ratio); repeats with the same id are allowed.
#
# Scenarios (RESTART_SCENARIOS; by default the six named ones,
# crash:checkpoint-renamed:2, crash:delivered:2, roles-classify:1500,
# roles-static and roles-static-both:2000):
#   planned  SIGTERM shortly before day 3's first spike (or once 5/8 of the
#            feed is counted, if the watermark is still at its floor), then
#            a new start
#   backlog  kill -9 twice while reading the backlog (after 1/4 and 1/3 of it)
#   hookdown the receiver down from the start; kill -9 right after the
#            second alert is written to the outbox; receiver and finsent
#            come back
#   ckpt     kill -9 in the middle of writing the third checkpoint
#   commit   kill -9 between an alert's outbox write and the checkpoint
#            that would commit its offsets
#   roles    the scale-out roles: one `run --role classify` and two
#            `run --role aggregate` (group mode, scored topic of 4
#            partitions); aggregate instance 1 killed -9 five seconds in
#            (once it has counted 500 records; roles:E: E records) and
#            started again
# and, for campaigns over other moments (scripts/crash_campaign.sh):
#   crash:NAME:K  run 1 dies as by kill -9 the K-th time it reaches the
#            crash point NAME (util/crashpoint.h), then a new start
#   kill:E   kill -9 once run 1 has counted E events, then a new start
#   term:E   SIGTERM once run 1 has counted E events, then a new start
#   rekill:E kill -9 once run 1 has counted E events; kill -9 run 2 as
#            soon as it has restored the checkpoint (before it has joined
#            the group and read anything); then a third start
#   roles-classify:E  the roles, with the classify process killed -9 once
#            it has classified E messages, and started again 15 s later
#            (an outage longer than restart.json's idle_timeout of 10 s:
#            the aggregates must hold, not let the watermark pass what
#            classify has not scored yet)
#   roles-crash:NAME:K  the roles, aggregate 1 dying at its crash point
#            NAME the K-th time (outbox-written, delivered), started again
#   roles-static (roles-static:E)  the roles with aggregate.assignment
#            static: aggregate 1 killed -9 after 500 (E) records and started
#            again goes on from its checkpoint (each partition starts at the
#            checkpoint's offset, or at the commit below it: never from its
#            beginning; what it reads again below the checkpoint is neither
#            counted again nor taken for a copy)
#   roles-static-both:E  the same, classify killed -9 after E records,
#            aggregate 1 3 s later (it has counted and checkpointed what
#            classify produced); aggregate 1 restarts from its checkpoint,
#            3 s later classify produces again what it had not committed:
#            copies of records below the checkpoint, recognised only by the
#            copy table the checkpoint carries
#   roles-static-crash:NAME:K  aggregate 1 (static) dying at its crash
#            point NAME the K-th time (K >= 2 for the checkpoint points, so
#            that a checkpoint is there to go on from)
# RESTART_MESSAGES (default 7936, four days) sets the feed's size.
. tests/integration/lib.sh
. tests/integration/scaleout_lib.sh

MODEL=${FINSENT_TEST_MODEL:-models/default}
N=${RESTART_MESSAGES:-7936}
SCENARIOS=${RESTART_SCENARIOS:-planned backlog hookdown ckpt commit crash:checkpoint-renamed:2 crash:delivered:2 roles roles-classify:1500 roles-static roles-static-both:2000}
if [ -n "${SANITIZED:-}" ]; then # three days, four scenarios: the sanitizers cost a factor of a few
    N=${RESTART_MESSAGES:-5952}
    SCENARIOS=${RESTART_SCENARIOS:-planned backlog ckpt roles-static}
fi
if [ ! -f "$MODEL/config.json" ]; then
    skip "restart test" "no model at $MODEL"
    done_testing
    exit
fi
CFG=tests/integration/restart.json
export FINSENT_RESTART_SECRET=restart-secret FINSENT_RESTART_BROKERS=127.0.0.1:9
pids=""
cleanup() {
    for p in $pids; do kill -9 "$p" 2>/dev/null; done
    [ -n "${RESTART_KEEP:-}" ] && cp -r "$TMP/." "$RESTART_KEEP/"
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# 1. the feed (three partitions per topic), the replay, its transitions
scaleout_feed "$N" 3
FINSENT_RESTART_OUTBOX="$TMP/ob-replay" "$FINSENT" replay --config "$CFG" --model "$MODEL" --file "$TMP/all.jsonl" \
    --dry-run --dump-windows "$TMP/replay.win" >"$TMP/replay.jsonl" 2>"$TMP/replay.err"
check "replay exits 0" test $? -eq 0
scaleout_expect
replay_late=$(sed -n 's/^finsent: .* dead letters, \([0-9]*\) late,.*/\1/p' "$TMP/replay.err")
check "the replay has no late event" test "${replay_late:-x}" = 0

# transitions FILE: one line per distinct (id, status, window start) of the
# alerts in FILE (JSON lines, the alert bodies) before the cutoff, with its
# figures; the first of repeats with the same (id, status, window) wins
transitions() {
    jq -c --argjson c "$cutoff" 'select(.window.start_ms < $c)
        | [.id, .status, .window.start_ms, .stats.count, .stats.negatives, .stats.negative_share,
           .stats.baseline_share, .stats.zscore, .stats.ratio]' "$1" | awk '!seen[$0]++' | sort -u
}
transitions "$TMP/replay.jsonl" >"$TMP/replay.tr"
check "the replay has alert transitions" test -s "$TMP/replay.tr"

# 2. the cluster, the feed produced once, keyed by line so that each
# partition gets its share in order
# scored_topic S: the scored topic of roles scenario S (4 partitions)
scored_topic() { echo "restart.scored$(echo "${1#roles}" | tr ':' '.')"; }
scored=""
for s in $SCENARIOS; do case $s in roles*) scored="$scored --topic $(scored_topic $s):4" ;; esac; done
# shellcheck disable=SC2086 # one word per option
"$FINSENT" mock-broker --brokers 1 --topic news:3 --topic comments:3 --topic restart.deadletter:1 $scored \
    >"$TMP/broker.out" 2>"$TMP/broker.err" &
pids="$pids $!"
i=0
while ! grep -q bootstrap.servers "$TMP/broker.out" && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
export FINSENT_RESTART_BROKERS=$(sed -n 's/^bootstrap.servers=//p' "$TMP/broker.out")
for t in news comments; do
    jq -r --arg t "$t" 'select(.topic == $t) | "\(input_line_number)\t\(.payload)"' "$TMP/feed.jsonl" |
        kcat -P -K '\t' -b "$FINSENT_RESTART_BROKERS" -t "$t" -X queue.buffering.max.messages=1000000 2>"$TMP/kcat.err"
    for p in 0 1 2; do
        jq -r --arg t "$t" --argjson p $p 'select(.topic == $t and .partition == $p) | .payload' "$TMP/markers.jsonl" |
            kcat -P -b "$FINSENT_RESTART_BROKERS" -t "$t" -p $p 2>/dev/null
    done
done
check "kcat produced the feed" test "$(kcat -C -b "$FINSENT_RESTART_BROKERS" -t news -e -q -f '.\n' 2>/dev/null | wc -l)" -gt 0

# receiver_start S N: the N-th webhook receiver of scenario S (appends to
# $TMP/S.hook); waits (bounded, 60 s) for its url= line and exports it as
# FINSENT_RESTART_WEBHOOK. The file is made here, before the receiver
# starts: the background shell opens it for the redirection only some
# time later, and a wait reading a missing file would stop at once.
receiver_start() {
    : >>"$TMP/$1.hook"
    "$FINSENT" mock-webhook --secret-env FINSENT_RESTART_SECRET >>"$TMP/$1.hook" 2>>"$TMP/$1.hook.err" &
    hook_pid=$!
    pids="$pids $hook_pid"
    i=0
    while [ "$(grep -c '^url=' "$TMP/$1.hook")" -lt "$2" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
    export FINSENT_RESTART_WEBHOOK=$(sed -n 's/^url=//p' "$TMP/$1.hook" | tail -n 1)
    # an empty URL would send every alert to the config's default (nobody)
    check "$1: the webhook receiver is up" test -n "$FINSENT_RESTART_WEBHOOK"
}

# run_start S K [ENV=VALUE…]: run K of scenario S in the background
run_start() {
    s=$1 k=$2
    shift 2
    env FINSENT_RESTART_GROUP="g-$s" FINSENT_RESTART_OUTBOX="$TMP/ob-$s" "$@" \
        "$FINSENT" run --config "$CFG" --model "$MODEL" --dump-windows "$TMP/$s.win" >"$TMP/$s.$k.out" 2>"$TMP/$s.$k.err" &
    run_pid=$!
    pids="$pids $run_pid"
}

# killed_mid S K WHAT: checks that run K of scenario S, about to be
# stopped, is mid-stream: its watermark (scraped now) is before the end of
# the feed; a timed-out wait or an empty scrape fails it
killed_mid() {
    wm=$(metric finsent_watermark_ms "$TMP/$1.$2.err")
    check "$1: run $2 $3 mid-stream (watermark ${wm:-unknown})" test "${wm:-0}" -gt "$t0" -a "${wm:-0}" -lt "$cutoff"
}

# before_end S K WHAT: as killed_mid, but the watermark may still be held
# at its floor (early on, not every partition has been read yet)
before_end() {
    wm=$(metric finsent_watermark_ms "$TMP/$1.$2.err")
    check "$1: run $2 $3 before the end (watermark ${wm:-unknown})" test -n "$wm" -a "${wm:-$cutoff}" -lt "$cutoff"
}

# wait_metric S K NAME MIN: waits (bounded, 120 s) until run K's metric NAME >= MIN
wait_metric() {
    i=0
    while [ "$(metric "$3" "$TMP/$1.$2.err" || echo 0)" -lt "$4" ] 2>/dev/null && [ $i -lt 1200 ]; do
        kill -0 $run_pid 2>/dev/null || return 1
        sleep 0.1
        i=$((i + 1))
    done
    [ $i -lt 1200 ]
}

# wait_end S: waits (bounded) until scenario S's receiver holds every
# firing id of the replay and the run's watermark passed the cutoff
wait_end() {
    i=0
    while [ $i -lt 600 ]; do
        grep -v '^url=' "$TMP/$1.hook" | jq -rR 'fromjson? | select(.body.status == "firing") | .idempotency_key' |
            sort -u >"$TMP/$1.got"
        wm=$(metric finsent_watermark_ms "$TMP/$1.$k.err")
        [ "$(comm -13 "$TMP/$1.got" "$TMP/replay.ids" | wc -l)" -eq 0 ] && [ "${wm:-0}" -ge "$cutoff" ] 2>/dev/null && break
        sleep 0.5
        i=$((i + 1))
    done
    sleep 1
}

# finish S K: SIGTERM to run K (and the roles' other processes), then the
# checks of scenario S
finish() {
    s=$1
    kill -TERM $run_pid $others 2>/dev/null
    wait $run_pid
    check "$s: the last run exits 0 on SIGTERM" test $? -eq 0
    for o in $others; do wait "$o"; done
    others=""
    real_windows "$TMP/$s.win" >"$TMP/$s.w"
    check "$s: a window closed before and after a stop has the same totals" \
        test "$(cut -f1,2 "$TMP/$s.w" | sort | uniq -d | wc -l)" -eq 0
    check "$s: every window has the replay's totals ($(wc -l <"$TMP/replay.w") windows)" cmp "$TMP/$s.w" "$TMP/replay.w"
    late=$(cat "$TMP/$s".*.err | grep -c '"late event\|late event ')
    check "$s: no event late ($late logged)" test "$late" -eq 0
    grep -v '^url=' "$TMP/$s.hook" | jq -cR 'fromjson? | .body' >"$TMP/$s.bodies"
    transitions "$TMP/$s.bodies" >"$TMP/$s.tr"
    check "$s: the replay's alert transitions, each with its figures" diff "$TMP/replay.tr" "$TMP/$s.tr"
    bad=$(grep -v '^url=' "$TMP/$s.hook" | jq -rR 'fromjson? | select(.signature_valid != true) | 1' | wc -l)
    check "$s: every delivery signed and valid" test "$bad" -eq 0
    echo "# $s: $(grep -vc '^url=' "$TMP/$s.hook") deliveries, $(wc -l <"$TMP/$s.tr") transitions ($(wc -l <"$TMP/replay.tr") in the replay), $(wc -l <"$TMP/$s.w") windows"
    # the last run: from its first log line to its first alert written, and what it restored
    [ -f "$TMP/$s.$k.err" ] || return 0
    started=$(head -n 1 "$TMP/$s.$k.err" | jq -r '.ts? // empty' 2>/dev/null)
    fired=$(jq -r 'select(.module? == "alerts" and (.msg | startswith("firing"))) | .ts' "$TMP/$s.$k.err" 2>/dev/null | head -n 1)
    restored=$(sed -n 's/.*restored checkpoint [0-9]* (\([0-9]*\) bytes).*/\1/p' "$TMP/$s.$k.err" | head -n 1)
    if [ -n "$started" ] && [ -n "$fired" ]; then
        echo "# $s: run $k restored a checkpoint of ${restored:-?} bytes; start to first alert fired $(( $(date -d "$fired" +%s%3N) - $(date -d "$started" +%s%3N) )) ms"
    fi
}

day=86400000
t0=1772409600000
others=""
for s in $SCENARIOS; do
    case $s in
    planned)
        receiver_start $s 1
        run_start $s 1
        # day 3, 09:45 (the first spike of the day is Harbor Bancorp's at
        # 10:00); or, while the watermark is still at its floor, 5/8 of
        # the feed counted: a backlog is read partition by partition in
        # fetch order, and when one is read last (slow runs: the
        # sanitizers) the watermark stays at its floor until then and
        # jumps to the feed's end, past any stop before it
        i=0
        while [ $i -lt 1200 ] && kill -0 $run_pid 2>/dev/null; do
            wm=$(metric finsent_watermark_ms "$TMP/$s.1.err" || echo 0)
            [ "${wm:-0}" -ge $((t0 + 2 * day + 35100000)) ] 2>/dev/null && break
            [ "${wm:-0}" -lt "$t0" ] 2>/dev/null &&
                [ "$(metric finsent_events_aggregated_total "$TMP/$s.1.err" || echo 0)" -ge $((N * 5 / 8)) ] 2>/dev/null && break
            sleep 0.1
            i=$((i + 1))
        done
        check "planned: run 1 reached day 3 09:45 or 5/8 of the feed" test $i -lt 1200
        before_end $s 1 "stopped"
        kill -TERM $run_pid
        wait $run_pid
        check "planned: run 1 exits 0 on SIGTERM" test $? -eq 0
        run_start $s 2
        k=2
        ;;
    backlog)
        receiver_start $s 1
        run_start $s 1
        wait_metric $s 1 finsent_events_aggregated_total $((N / 4))
        check "backlog: run 1 counted a quarter of the feed" test $? -eq 0
        before_end $s 1 "killed -9"
        kill -9 $run_pid
        wait $run_pid 2>/dev/null
        run_start $s 2
        wait_metric $s 2 finsent_events_aggregated_total $((N / 3))
        check "backlog: run 2 counted a third of the feed" test $? -eq 0
        before_end $s 2 "killed -9"
        kill -9 $run_pid
        wait $run_pid 2>/dev/null
        run_start $s 3
        k=3
        ;;
    hookdown)
        : >"$TMP/$s.hook"
        export FINSENT_RESTART_WEBHOOK=http://127.0.0.1:9/alerts
        run_start $s 1 FINSENT_CRASHPOINT=outbox-written:2
        wait $run_pid
        check "hookdown: run 1 killed itself after the second outbox write" test $? -eq 137
        receiver_start $s 1
        run_start $s 2
        k=2
        ;;
    ckpt)
        receiver_start $s 1
        run_start $s 1 FINSENT_CRASHPOINT=checkpoint-write:3
        wait $run_pid
        check "ckpt: run 1 killed itself while writing the third checkpoint" test $? -eq 137
        run_start $s 2
        k=2
        ;;
    commit)
        receiver_start $s 1
        run_start $s 1 FINSENT_CRASHPOINT=outbox-written:3
        wait $run_pid
        check "commit: run 1 killed itself between an outbox write and the next checkpoint" test $? -eq 137
        run_start $s 2
        k=2
        ;;
    roles | roles:* | roles-classify:* | roles-crash:*:* | roles-static | roles-static:* | roles-static-both:* | roles-static-crash:*:*)
        # the victim and the moment: aggregate 1 after E records (roles:E,
        # 500 by default), the classify process after E messages
        # (roles-classify:E), or aggregate 1 at a crash point (roles-crash:NAME:K)
        records=500 past="" victim=a1 point="" assign=group
        case $s in
        roles:*) records=${s#roles:} ;;
        roles-static:*) records=${s#roles-static:} assign=static ;;
        roles-static-both:*) records=${s#roles-static-both:} assign=static victim=both ;;
        roles-static) assign=static ;;
        roles-static-crash:*) point=${s#roles-static-crash:} assign=static ;;
        roles-classify:*) records=${s#roles-classify:} victim=cls ;;
        roles-crash:*) point=${s#roles-crash:} ;;
        esac
        # each roles scenario has its own scored topic (made with the cluster)
        export FINSENT_RESTART_SCORED=$(scored_topic $s) FINSENT_RESTART_ASSIGNMENT=$assign
        receiver_start $s 1
        # classify, aggregate 0, aggregate 1 (each appends its windows to $s.win)
        cls_start() { # K: the classify process's K-th start
            env FINSENT_RESTART_GROUP="g-$s" FINSENT_RESTART_OUTBOX="$TMP/ob-$s-c" "$FINSENT" run --config "$CFG" \
                --model "$MODEL" --role classify >"$TMP/$s.c$1.out" 2>"$TMP/$s.c$1.err" &
            cls=$!
            pids="$pids $cls"
        }
        agg_start() { # I K [ENV=VALUE]: aggregate instance I, its K-th start
            env FINSENT_RESTART_GROUP="g-$s" FINSENT_RESTART_OUTBOX="$TMP/ob-$s-a$1" ${3:-} "$FINSENT" run \
                --config "$CFG" --role aggregate --instance "$1" --dump-windows "$TMP/$s.win" \
                >"$TMP/$s.a$1.$2.out" 2>"$TMP/$s.a$1.$2.err" &
            eval "a$1=$!"
            pids="$pids $!"
        }
        cls_start 1
        agg_start 0 1
        agg_start 1 1 ${point:+FINSENT_CRASHPOINT=$point}
        a1k=2
        if [ -n "$point" ]; then
            i=0
            while kill -0 $a1 2>/dev/null && [ $i -lt 1800 ]; do sleep 0.1; i=$((i + 1)); done
            kill -9 $a1 2>/dev/null
            wait $a1
            check "$s: aggregate 1 killed itself at $point" test $? -eq 137 -a $i -lt 1800
            agg_start 1 2
        else
            # once the victim has counted (classified) E records (five seconds in on a quiet machine)
            vfile="$TMP/$s.a1.1.err" vmetric=finsent_events_aggregated_total
            [ $victim = cls ] && vfile="$TMP/$s.c1.err" vmetric=finsent_events_classified_total
            i=0
            while [ "$(metric $vmetric "$vfile" || echo 0)" -lt "$records" ] 2>/dev/null && [ $i -lt 1200 ]; do
                sleep 0.1
                i=$((i + 1))
            done
            # static: and once aggregate 1 has made a checkpoint durable
            # after that (the second one after it is submitted)
            c0=$(metric finsent_checkpoints_total "$TMP/$s.a1.1.err" || echo 0)
            while [ $assign = static ] && [ "$(metric finsent_checkpoints_total "$TMP/$s.a1.1.err" || echo 0)" -lt $((${c0:-0} + 2)) ] 2>/dev/null &&
                [ $i -lt 1200 ]; do
                sleep 0.1
                i=$((i + 1))
            done
            counted=$(metric $vmetric "$vfile")
            wm=$(metric finsent_watermark_ms "$TMP/$s.a1.1.err")
            check "$s: $victim killed -9 mid-stream (${counted:-no} records, aggregate 1's watermark ${wm:-unknown})" \
                test "${counted:-0}" -ge "$records" -a "${wm:-0}" -lt "$cutoff"
            if [ $victim = both ]; then
                # classify first: aggregate 1 then counts and checkpoints
                # everything classify had produced, so that each copy
                # produced again is of a record below that checkpoint
                kill -9 $cls
                wait $cls 2>/dev/null
                sleep 3
                kill -9 $a1
                wait $a1 2>/dev/null
                agg_start 1 2
                sleep 3
                cls_start 2
            elif [ $victim = cls ]; then
                kill -9 $cls
                wait $cls 2>/dev/null
                sleep 15
                cls_start 2
                a1k=1
            else
                kill -9 $a1
                wait $a1 2>/dev/null
                agg_start 1 2
            fi
        fi
        others="$cls $a0"
        run_pid=$a1
        # the end: every firing id received, both aggregates' watermarks past
        # the cutoff, and as many windows closed as the replay has. The
        # watermarks alone are not enough: each covers only the partitions
        # its instance owns, and a partition can still sit with the killed
        # member until its session times out (then a live one rebuilds it)
        i=0
        while [ $i -lt 600 ]; do
            grep -v '^url=' "$TMP/$s.hook" | jq -rR 'fromjson? | select(.body.status == "firing") | .idempotency_key' |
                sort -u >"$TMP/$s.got"
            w0=$(metric finsent_watermark_ms "$TMP/$s.a0.1.err")
            w1=$(metric finsent_watermark_ms "$TMP/$s.a1.$a1k.err")
            closed=$(real_windows "$TMP/$s.win" | wc -l)
            if [ "$(comm -13 "$TMP/$s.got" "$TMP/replay.ids" | wc -l)" -eq 0 ] && [ "${w0:-0}" -ge "$cutoff" ] 2>/dev/null &&
                [ "${w1:-0}" -ge "$cutoff" ] 2>/dev/null; then
                [ -z "${past:-}" ] && past=1 && echo "# $s: ids received and watermarks past the cutoff with $closed of $(wc -l <"$TMP/replay.w") windows closed"
                [ "$closed" -ge "$(wc -l <"$TMP/replay.w")" ] && break
            fi
            sleep 0.5
            i=$((i + 1))
        done
        sleep 1
        finish $s
        if [ $assign = static ]; then
            # the restarted aggregate went on from its checkpoint
            a1err="$TMP/$s.a1.$a1k.err"
            check "$s: aggregate 1's second run went on from its checkpoint" \
                grep -q 'going on from the restored checkpoint' "$a1err"
            # and started its two partitions where the checkpoint says, or
            # at the commit below it (what the windows open at the
            # checkpoint need: read again, not counted again), never by a
            # rebuild from their beginning (records between a checkpoint
            # older than the commit and the commit are rebuilt)
            starts=$(grep -c 'starting at offset' "$a1err")
            rebuilt=$(sed -n 's/.*assignment(s), \([0-9]*\) records rebuilt in all.*/\1/p' "$a1err")
            again=$(sed -n 's/.*; \([0-9]*\) records read again below a restored checkpoint.*/\1/p' "$a1err")
            [ -z "$point" ] && check "$s: aggregate 1's second run started both partitions from its checkpoint ($starts; ${rebuilt:-?} records rebuilt, ${again:-?} read again below it)" \
                test "$starts" -eq 2
            grep -o 'restored checkpoint [0-9]* ([0-9]* bytes)' "$a1err" | sed "s/^/# $s: aggregate 1's second run /"
            copies=$(sed -n 's/.*aggregate role: \([0-9]*\) duplicate.*/\1/p' "$a1err")
            echo "# $s: copies dropped by aggregate 0, 1: $(sed -n 's/.*aggregate role: \([0-9]*\) duplicate.*/\1/p' \
                "$TMP/$s.a0.1.err") ${copies:-?}"
            # what it read again below its checkpoint is not a copy (it is
            # skipped by the pipeline and committed once its windows close)
            [ $victim = a1 ] && check "$s: aggregate 1's second run took no record read again for a copy (${copies:-no summary})" \
                test "${copies:-x}" = 0
        fi
        unset FINSENT_RESTART_ASSIGNMENT
        continue
        ;;
    crash:*:*)
        point=${s#crash:}
        receiver_start $s 1
        run_start $s 1 FINSENT_CRASHPOINT="$point"
        # bounded: a point the run never reaches leaves it waiting at the
        # feed's end (its watermark past the cutoff): the moment is skipped
        i=0 wm=0
        while kill -0 $run_pid 2>/dev/null && [ "${wm:-0}" -lt "$cutoff" ] 2>/dev/null && [ $i -lt 1800 ]; do
            sleep 0.1
            i=$((i + 1))
            [ $((i % 10)) -eq 0 ] && wm=$(metric finsent_watermark_ms "$TMP/$s.1.err")
        done
        if [ "${wm:-0}" -ge "$cutoff" ] 2>/dev/null && kill -0 $run_pid 2>/dev/null; then
            kill -9 $run_pid
            wait $run_pid 2>/dev/null
            skip "$s" "run 1 reached the feed's end before $point"
            continue
        fi
        kill -9 $run_pid 2>/dev/null
        wait $run_pid
        check "$s: run 1 killed itself at $point" test $? -eq 137 -a $i -lt 1800
        run_start $s 2
        k=2
        ;;
    rekill:*)
        events=${s#rekill:}
        receiver_start $s 1
        run_start $s 1
        wait_metric $s 1 finsent_events_aggregated_total "$events"
        check "$s: run 1 counted $events events" test $? -eq 0
        before_end $s 1 "killed -9"
        kill -9 $run_pid
        wait $run_pid 2>/dev/null
        run_start $s 2
        i=0
        while ! grep -q 'restored checkpoint\|no checkpoint yet' "$TMP/$s.2.err" 2>/dev/null && [ $i -lt 300 ]; do
            sleep 0.05
            i=$((i + 1))
        done
        kill -9 $run_pid
        wait $run_pid 2>/dev/null
        check "$s: run 2 killed -9 right after its restore ($(grep -o 'restored checkpoint [0-9]*' "$TMP/$s.2.err"))" \
            grep -q 'restored checkpoint' "$TMP/$s.2.err"
        run_start $s 3
        k=3
        ;;
    kill:* | term:*)
        events=${s#*:}
        signal=KILL
        case $s in term:*) signal=TERM ;; esac
        receiver_start $s 1
        run_start $s 1
        wait_metric $s 1 finsent_events_aggregated_total "$events"
        check "$s: run 1 counted $events events" test $? -eq 0
        before_end $s 1 "stopped by SIG$signal"
        kill -$signal $run_pid
        wait $run_pid 2>/dev/null
        run_start $s 2
        k=2
        ;;
    *) notok "unknown scenario $s"; continue ;;
    esac
    wait_end $s
    finish $s
done
done_testing
