# scaleout_lib.sh — what the scale-out tests share (sourced after lib.sh).
#
# scaleout_feed, scaleout_expect, scaleout_cluster, real_windows and metric
# serve crash.sh, rebuild.sh and failover.sh; the state_* functions are the
# frame of rebuild.sh and failover.sh: a replay of the feed, a mock cluster
# with 4 partitions per topic, a webhook receiver, the feed produced in two
# parts, and the final checks against the replay. Their configs
# (tests/integration/NAME.json) read FINSENT_STATE_BROKERS, _WEBHOOK,
# _SECRET and _OUTBOX.

# scaleout_feed N PARTITIONS: $TMP/feed.jsonl, N messages: copy k of the
# demo feed shifted k days, ids suffixed, event time as epoch ms;
# $TMP/markers.jsonl: 2 end markers per input partition, 3 days after the
# feed, each naming 60 entities so that every scored partition gets one;
# $TMP/all.jsonl: both. Sets cycles and end_ms.
scaleout_feed() {
    cycles=$(( ($1 + 1983) / 1984 ))
    k=0
    while [ $k -lt $cycles ]; do
        jq -c --argjson k $k '(.payload | fromjson? // null) as $m
            | if ($m | type) == "object" then
                .payload = ($m | .id = "\(.id)-\($k)"
                               | .ts = ((.ts[0:19] + "Z" | fromdateiso8601) * 1000 + (.ts[20:23] | tonumber) + $k * 86400000)
                               | tojson)
              else . end' app/demo/feed.jsonl
        k=$((k + 1))
    done | head -n "$1" >"$TMP/feed.jsonl"
    end_ms=$(( 1772409600000 + (cycles + 3) * 86400000 ))
    ents=$(seq -f '"ZZEND%03g"' 1 120 | paste -sd, -)
    for t in news comments; do
        p=0
        while [ $p -lt "$2" ]; do
            for half in 0 1; do
                e=$(echo "$ents" | cut -d, -f$((half * 60 + 1))-$((half * 60 + 60)))
                echo "{\"topic\":\"$t\",\"partition\":$p,\"payload\":$(printf '{"id":"end-%s-%d-%d","ts":%s,"text":"end of feed","entities":[%s]}' \
                    "$t" "$p" "$half" "$end_ms" "$e" | jq -Rs .)}"
            done
            p=$((p + 1))
        done
    done >"$TMP/markers.jsonl"
    cat "$TMP/feed.jsonl" "$TMP/markers.jsonl" >"$TMP/all.jsonl"
}

# scaleout_expect: from the replay's $TMP/replay.win and $TMP/replay.jsonl,
# $TMP/replay.w (its real windows) and $TMP/replay.ids (its firing ids,
# markers' windows left out); sets cutoff.
scaleout_expect() {
    cutoff=$((end_ms - 900000)) # marker windows never close in the live run
    real_windows "$TMP/replay.win" >"$TMP/replay.w"
    jq -r --argjson c $cutoff 'select(.status == "firing" and (.window.start | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601) * 1000 < $c) | .id' \
        "$TMP/replay.jsonl" | sort -u >"$TMP/replay.ids"
    check "replay fires alerts" test -s "$TMP/replay.ids"
}

# real_windows FILE…: closed windows of the dumps, without the markers'
# (which never close in a live run).
real_windows() { awk -F'\t' -v c=$cutoff '$2 < c' "$@" | sort -u; }

# scaleout_cluster SECRET_ENV MOCK_BROKER_ARGS…: starts `finsent
# mock-broker` with the args and `finsent mock-webhook` checking signatures
# with the secret in $SECRET_ENV (both added to pids; output in
# $TMP/broker.out and $TMP/hook.json), waits (bounded) until both are up and
# sets cluster_brokers and cluster_webhook.
scaleout_cluster() {
    secret_env=$1
    shift
    "$FINSENT" mock-broker "$@" >"$TMP/broker.out" 2>"$TMP/broker.err" &
    pids="$pids $!"
    "$FINSENT" mock-webhook --secret-env "$secret_env" >"$TMP/hook.json" 2>"$TMP/hook.err" &
    pids="$pids $!"
    i=0
    while ! { grep -q bootstrap.servers "$TMP/broker.out" && grep -q url= "$TMP/hook.json"; } && [ $i -lt 600 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    cluster_brokers=$(sed -n 's/^bootstrap.servers=//p' "$TMP/broker.out")
    cluster_webhook=$(sed -n 's/^url=//p' "$TMP/hook.json")
}

# metric NAME STDERR_FILE: the value of NAME on the /metrics endpoint of the
# process whose log is STDERR_FILE (empty when it is not up).
metric() {
    port=$(sed -n 's/.*metrics on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$2" | tail -n 1)
    [ -n "$port" ] && curl -s "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 == m {printf "%.0f\n", $2}'
}

# state_setup NAME N: the frame of rebuild.sh and failover.sh up to the
# first part of the feed produced. Skips the whole test without a model.
# Sets MODEL, CFG, pids (killed at exit; $STATE_KEEP keeps $TMP), cutoff,
# split; writes $TMP/replay.w (the replay's real windows) and
# $TMP/replay.ids (its firing ids); exports the FINSENT_STATE_* variables.
state_setup() {
    MODEL=${FINSENT_TEST_MODEL:-models/default}
    if [ ! -f "$MODEL/config.json" ]; then
        skip "$1 test" "no model at $MODEL"
        done_testing
        exit
    fi
    CFG=tests/integration/$1.json
    export FINSENT_STATE_SECRET=$1-secret FINSENT_STATE_BROKERS=127.0.0.1:9
    pids=""
    trap state_cleanup EXIT
    trap 'exit 1' INT TERM
    scaleout_feed "$2" 4

    # 1. one process
    FINSENT_STATE_OUTBOX="$TMP/ob-replay" "$FINSENT" replay --config "$CFG" --model "$MODEL" --file "$TMP/all.jsonl" \
        --dry-run --dump-windows "$TMP/replay.win" >"$TMP/replay.jsonl" 2>"$TMP/replay.err"
    check "replay exits 0" test $? -eq 0
    scaleout_expect

    # 2. the cluster, the receiver, the first part of the feed
    scaleout_cluster FINSENT_STATE_SECRET --brokers 1 --topic news:4 --topic comments:4 --topic "$1.scored:4" \
        --topic "$1.deadletter:1"
    export FINSENT_STATE_BROKERS="$cluster_brokers" FINSENT_STATE_WEBHOOK="$cluster_webhook"
    split=$(( 1772409600000 + cycles * 86400000 / 2 ))
    state_produce first
}

state_cleanup() {
    for p in $pids; do kill -9 "$p" 2>/dev/null; done
    [ -n "${STATE_KEEP:-}" ] && cp -r "$TMP/." "$STATE_KEEP/"
    rm -rf "$TMP"
}

# hook_tsv: $TMP/hook.out, one "id<TAB>status" line per delivery received.
hook_tsv() {
    grep -v '^url=' "$TMP/hook.json" | jq -rR 'fromjson? | [.idempotency_key // "-", (.body.status? // "-")] | @tsv' \
        >"$TMP/hook.out"
}

# state_produce PART: first: the messages with event time before the
# middle of the feed, and the bad messages; second: the rest, then the end
# markers. Keyed by line so that every input partition gets its share in
# order.
state_produce() {
    for t in news comments; do
        jq -r --arg t "$t" --argjson s $split --arg part "$1" '((.payload | fromjson?) // null) as $m
            | (if ($m | type) == "object" and ($m.ts | type) == "number" then $m.ts else 0 end) as $ts
            | select(.topic == $t and (($part == "first") == ($ts < $s)))
            | "\(input_line_number)\t\(.payload)"' "$TMP/feed.jsonl" |
            kcat -P -K '\t' -b "$FINSENT_STATE_BROKERS" -t "$t" -X queue.buffering.max.messages=1000000 \
                2>"$TMP/kcat.err"
        [ "$1" = first ] && continue
        for p in 0 1 2 3; do
            jq -r --arg t "$t" --argjson p $p 'select(.topic == $t and .partition == $p) | .payload' \
                "$TMP/markers.jsonl" | kcat -P -b "$FINSENT_STATE_BROKERS" -t "$t" -p $p 2>/dev/null
        done
    done
}

# state_wait_for_replay: waits (bounded) until the aggregate instances'
# window dumps ($TMP/a0.win, $TMP/a1.win) hold every real window of the
# replay and the receiver every firing id. Sets total.
state_wait_for_replay() {
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
}

# state_check_replay WHEN: the windows closed by the instances have the
# replay's totals (one closed twice, before and after WHEN, the same
# totals), and the receiver got the replay's firing ids.
state_check_replay() {
    hook_tsv
    cat "$TMP/a0.win" "$TMP/a1.win" | real_windows >"$TMP/dist.w"
    check "a window closed again after $1 has the same totals" \
        test "$(cut -f1,2 "$TMP/dist.w" | sort | uniq -d | wc -l)" -eq 0
    check "every window has the replay's totals ($total windows)" cmp "$TMP/dist.w" "$TMP/replay.w"
    awk -F'\t' '$2 == "firing" {print $1}' "$TMP/hook.out" | sort -u >"$TMP/hook.firing"
    check "the same firing alert ids as the replay, all received" cmp "$TMP/hook.firing" "$TMP/replay.ids"
}

# state_wait_still ERR: waits (bounded, 300 s) until the watermark of the
# process logging to ERR is past the feed's start and has stood still for
# four scrapes 0.5 s apart. Sets last (that watermark) and same (4 when
# it did).
state_wait_still() {
    last=x same=0 i=0
    while [ $same -lt 4 ] && [ $i -lt 600 ]; do
        sleep 0.5
        wm=$(metric finsent_watermark_ms "$1")
        if [ -n "$wm" ] && [ "$wm" -gt 1772409600000 ] 2>/dev/null && [ "$wm" = "$last" ]; then
            same=$((same + 1))
        else
            same=0
        fi
        last=$wm
        i=$((i + 1))
    done
}

# state_check_killed: after a kill -9, alerts were received and some are
# still to come. Writes $TMP/hook.before.
state_check_killed() {
    hook_tsv
    cut -f1 "$TMP/hook.out" | sort -u >"$TMP/hook.before"
    check "alerts fired before the kill" test -s "$TMP/hook.before"
    check "alerts are left to fire after it" test "$(comm -13 "$TMP/hook.before" "$TMP/replay.ids" | wc -l)" -gt 0
}
