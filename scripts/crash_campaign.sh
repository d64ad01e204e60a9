#!/bin/sh
# crash_campaign.sh — role all (and the scale-out roles) killed at many
# moments, each run against a replay of the same feed by
# tests/integration/restart.sh: every crash point of util/crashpoint.h at
# several counts, kill -9 and SIGTERM at several points of the backlog, and
# the aggregate instance of the roles killed at several points (group and
# static assignment, with classify, at crash points). `make test` runs
# eleven fixed moments; this is the wider net (51 moments, about 25
# minutes on two cores). Prints restart.sh's TAP lines and one summary line; exit 1 when
# any moment breaks the replay's truth.
#
#   BUILD=build scripts/crash_campaign.sh [SCENARIO...]
#   CAMPAIGN_KEEP=DIR  keep each scenario's files (restart.sh's RESTART_KEEP)
set -u
BUILD=${BUILD:-build}
N=${RESTART_MESSAGES:-7936}
if [ $# -gt 0 ]; then
    scenarios=$*
else
    scenarios=""
    # a run writes 5 to 9 checkpoints and 36 alerts over the default feed
    for point in checkpoint-write checkpoint-swap checkpoint-renamed checkpoint-acked; do
        for k in 1 2 4 6; do scenarios="$scenarios crash:$point:$k"; done
    done
    for point in outbox-written delivered; do
        for k in 1 2 5 9 20; do scenarios="$scenarios crash:$point:$k"; done
    done
    for e in $((N / 10)) $((N / 4)) $((N / 2)) $((N * 3 / 4)); do scenarios="$scenarios kill:$e"; done
    for e in $((N / 5)) $((N * 2 / 3)); do scenarios="$scenarios term:$e"; done
    for e in $((N / 3)) $((N * 5 / 6)); do scenarios="$scenarios rekill:$e"; done
    for e in 100 1500 3000; do scenarios="$scenarios roles:$e"; done
    for e in 300 3000; do scenarios="$scenarios roles-classify:$e"; done
    for point in outbox-written:1 delivered:2; do scenarios="$scenarios roles-crash:$point"; done
    for e in 100 1500 3000; do scenarios="$scenarios roles-static:$e roles-static-both:$e"; done
    for point in checkpoint-write:2 checkpoint-renamed:3 checkpoint-acked:2 outbox-written:1; do
        scenarios="$scenarios roles-static-crash:$point"
    done
fi
# a checkpoint every 250 ms (restart.json: 1 s), so that the later counts
# of the checkpoint points fall inside the feed; a moment the run does not
# reach before the feed's end is reported as a skip
export FINSENT_RESTART_CHECKPOINT=${FINSENT_RESTART_CHECKPOINT:-250ms}
echo "# crash campaign: $(echo $scenarios | wc -w) moments over $N messages, a checkpoint every $FINSENT_RESTART_CHECKPOINT"
export RESTART_SCENARIOS="$scenarios" RESTART_MESSAGES="$N"
[ -n "${CAMPAIGN_KEEP:-}" ] && export RESTART_KEEP="$CAMPAIGN_KEEP"
# one restart.sh run for every moment: about 20 s each
BUILD=$BUILD TEST_TIMEOUT=3600 tests/run.sh restart
rc=$?
grep -E '^(not ok|# )' "$BUILD/test-logs/restart.log"
exit $rc
