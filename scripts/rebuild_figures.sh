#!/bin/sh
# rebuild_figures.sh — the aggregate role's rebuild time against the size of
# the scored topic's retention (issue 14): runs tests/integration/rebuild.sh
# (an aggregate instance killed -9 between the two halves of the feed and
# restarted; it rebuilds its partitions from their first retained record)
# once per feed size and prints a table row per size. The aggregate role
# reads its whole retention on every assignment (no bounded rebuild yet:
# README, Limits), so the time grows with it. librdkafka's mock cluster
# keeps about 5 MB a partition: beyond about 8,000 messages here it drops
# the oldest records, the rebuild starts past them and the checks fail.
#
#   BUILD=build scripts/rebuild_figures.sh [MESSAGES ...]   (default 2000 4000 6000 8000)
set -eu
BUILD=${BUILD:-build}
export FINSENT="$PWD/$BUILD/finsent"
SIZES=${*:-2000 4000 6000 8000}
echo "| messages in the feed | scored records rebuilt | rebuild seconds | records/s | checks |"
echo "|---|---|---|---|---|"
for n in $SIZES; do
    # in its own process group (as tests/run.sh runs it), bounded
    out=$(BUILD=$BUILD REBUILD_MESSAGES=$n timeout 900 sh tests/integration/rebuild.sh 2>&1) || true
    line=$(printf '%s\n' "$out" | sed -n 's/^# restart: \([0-9]*\) records rebuilt in \([0-9.]*\) s.*/\1 \2/p')
    recs=${line% *}
    secs=${line#* }
    bad=$(printf '%s\n' "$out" | grep -c '^not ok' || true)
    good=$(printf '%s\n' "$out" | grep -c '^ok' || true)
    rate=$(awk -v r="${recs:-0}" -v s="${secs:-0}" 'BEGIN { if (s > 0) printf "%.0f", r / s; else print "-" }')
    echo "| $n | ${recs:--} | ${secs:--} | $rate | $good ok, $bad not ok |"
done
