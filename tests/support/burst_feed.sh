#!/bin/sh
# burst_feed.sh — writes a synthetic news feed (bare JSON messages, one a
# line) for back-testing alert rules: HOURS hours from 2026-03-02T00:00Z of
# headlines about two companies, Acme Robotics ($ACMR) and Borealis Foods
# ($BRLF), RATE a minute each, about one in ten negative and the rest
# neutral or positive; between minutes FROM and TO (from the start) a
# headline about Acme Robotics is negative with probability SHARE (1: a
# burst of only negative news; 0.35 from some minute to the end: a lasting
# shift). Deterministic: a Park-Miller generator seeded with SEED picks the
# headlines.
#
#   tests/support/burst_feed.sh [HOURS [FROM TO [SHARE [RATE [SEED]]]]] > feed.jsonl
#
# Defaults: 6 hours, 300 330 (05:00-05:30), share 1, 6 a minute, seed 1.
# Used by tests/integration/baseline_hold.sh; docs/alerts.md shows the
# back-tests run on it.
set -eu
awk -v hours="${1:-6}" -v from="${2:-300}" -v to="${3:-330}" -v share="${4:-1}" -v rate="${5:-6}" -v seed="${6:-1}" '
function rnd() { x = (x * 16807) % 2147483647; return x / 2147483647 }
function pick(n) { return int(rnd() * n) + 1 }
BEGIN {
    x = seed
    neg[1] = "%s shares plunge after profit warning"
    neg[2] = "%s cuts full-year guidance as demand collapses"
    neg[3] = "%s faces regulator probe over accounting irregularities"
    neg[4] = "%s misses earnings estimates, stock tumbles"
    neg[5] = "%s announces layoffs amid falling sales"
    neg[6] = "%s downgraded to sell by analysts on weak outlook"
    neg[7] = "%s shares slump as chief executive resigns unexpectedly"
    neg[8] = "%s reports steep quarterly loss"
    neu[1] = "%s to hold annual shareholder meeting on Thursday"
    neu[2] = "%s names new chief financial officer"
    neu[3] = "%s schedules quarterly earnings call for next week"
    neu[4] = "%s opens new office in Singapore"
    neu[5] = "%s files annual report with regulators"
    neu[6] = "%s board meets to review strategy"
    neu[7] = "%s shares unchanged in early trading"
    neu[8] = "%s to present at industry conference in March"
    pos[1] = "%s shares rise after strong quarterly results"
    pos[2] = "%s raises full-year guidance on robust demand"
    pos[3] = "%s beats earnings estimates, stock jumps"
    pos[4] = "%s wins major contract, shares climb"
    pos[5] = "%s upgraded to buy by analysts"
    pos[6] = "%s reports record revenue growth"
    pos[7] = "%s raises dividend by 10%%"
    pos[8] = "%s shares hit all-time high"
    name[1] = "Acme Robotics"; tick[1] = "ACMR"
    name[2] = "Borealis Foods"; tick[2] = "BRLF"
    split("Wirewatch,Market Ledger,Capital Brief,Daily Tape", src, ",")
    id = 0
    for (m = 0; m < hours * 60; m++)
        for (k = 0; k < rate; k++)
            for (c = 1; c <= 2; c++) {
                ms = m * 60000 + int((k + rnd()) * 60000 / rate)
                r = rnd()
                p = c == 1 && m >= from && m < to ? share : 0.1
                if (r < p) t = neg[pick(8)]
                else if (r < p + (1 - p) * 5 / 9) t = neu[pick(8)]
                else t = pos[pick(8)]
                title = sprintf(t, name[c])
                s = ms / 1000
                printf "{\"id\":\"burst-%05d\",\"ts\":\"2026-03-02T%02d:%02d:%02d.%03dZ\",\"source\":\"%s\",\"title\":\"%s\",\"tickers\":[\"%s\"]}\n",
                    ++id, int(s / 3600), int(s / 60) % 60, int(s) % 60, ms % 1000, src[pick(4)], title, tick[c]
            }
}'
