#!/bin/sh
# rebuild_figures.sh — what an aggregate instance reads again when it
# restarts, against the size of the scored topic's retention (issue 14):
# runs tests/integration/rebuild.sh (one aggregate instance killed -9
# between the two halves of the feed and restarted) once per feed size and
# assignment, and prints a table row for each.
#   group   (the default assignment): every assignment rebuilds its
#           partitions from their first retained record, so the records
#           read and the time grow with the retention;
#   static  the instance checkpoints (docs/state.md): the restart restores
#           its checkpoint and reads only what came after it, whatever the
#           retention.
# librdkafka's mock cluster keeps about 5 MB a partition: beyond about
# 8,000 messages here it drops the oldest records (the group rebuild then
# starts past them and its checks fail).
#
#   BUILD=build scripts/rebuild_figures.sh [MESSAGES ...]   (default 2000 4000 6000 8000)
set -eu
BUILD=${BUILD:-build}
export FINSENT="$PWD/$BUILD/finsent"
SIZES=${*:-2000 4000 6000 8000}
echo "| messages in the feed | assignment | scored records before the kill | of them read again on restart | rebuilt (counted again, muted) | seconds | checkpoint restored | checks |"
echo "|---|---|---|---|---|---|---|---|"
for n in $SIZES; do
    for mode in group static; do
        # in its own process group (as tests/run.sh runs it), bounded
        out=$(FINSENT_STATE_ASSIGNMENT=$mode BUILD=$BUILD REBUILD_MESSAGES=$n timeout 900 sh tests/integration/rebuild.sh 2>&1) ||
            true
        bad=$(printf '%s\n' "$out" | grep -c '^not ok' || true)
        good=$(printf '%s\n' "$out" | grep -c '^ok' || true)
        total=$(printf '%s\n' "$out" | sed -n 's/^# killed the aggregate instance .*(\([0-9]*\) scored records)/\1/p')
        again=$(printf '%s\n' "$out" | sed -n 's/^# restart: \([0-9-]*\) of the [0-9]* scored records from before the kill read again/\1/p')
        if [ $mode = group ]; then
            line=$(printf '%s\n' "$out" | sed -n 's/^# restart: \([0-9]*\) records rebuilt in \([0-9.]*\) s.*/\1 \2/p')
            echo "| $n | group | ${total:-?} | ${again:-?} | ${line% *} | ${line#* } (first to last rebuild record) | - | $good ok, $bad not ok |"
        else
            line=$(printf '%s\n' "$out" |
                sed -n 's/^# restart: checkpoint of \([0-9?]*\) bytes restored, going on \([0-9-]*\) ms.*/\1 \2/p')
            set -- $line
            secs=$(awk -v ms="${2:-0}" 'BEGIN { printf "%.2f", ms / 1000 }')
            echo "| $n | static | ${total:-?} | ${again:-?} | 0 | $secs (start to going on) | ${1:-?} bytes | $good ok, $bad not ok |"
        fi
    done
done
