#!/usr/bin/env python3
"""Writes app/demo/feed.jsonl, the bundled feed of `finsent demo`.

A simulated trading day (2026-03-02, UTC) of news headlines and reader
comments about eight fictional companies, written for this project from
templates below (no text comes from ../shared/data). Three negative spikes
are planted so that the demo has something to alert on:

  10:00-11:30  Harbor Bancorp ($HRBK): regulator probe, deposit flight
  13:00-14:00  oil (topic Energy / Oil): OPEC+ deal collapses, crude tumbles
  15:00-16:00  Quillon Medical ($QMED): drug rejected, shares plunge

A few poison lines (invalid JSON, a non-object, an empty text) show the
dead-letter path. Deterministic: the same seed gives the same file.

Each line is a feed envelope as `kcat -C -J` writes it (the fields finsent
reads): {"topic": "news"|"comments", "payload": "<the message as sent>"}.

usage: tools/make_demo_feed.py [OUT]   (default app/demo/feed.jsonl)
"""
import json
import random
import sys

SEED = 20260302
DAY = "2026-03-02"
rng = random.Random(SEED)

COMPANIES = [
    ("NVTK", "Northvale Technologies", "cloud software"),
    ("HRBK", "Harbor Bancorp", "regional bank"),
    ("SLCE", "Solace Energy", "oil producer"),
    ("QMED", "Quillon Medical", "biotech"),
    ("BRWS", "Brightwater Shipping", "container shipping"),
    ("OKFD", "Oakfield Foods", "packaged foods"),
    ("LMNR", "Lumenar Semiconductors", "chip maker"),
    ("TRVX", "Travex Airlines", "airline"),
]
NEWS_SOURCES = ["Wirewatch", "Market Ledger", "Street Desk", "Capital Brief"]
ANALYSTS = ["Kestrel Securities", "Baymont Research", "Ridgeline Capital", "Atlas Partners"]

NEWS_POS = [
    "{name} beats quarterly estimates, raises full-year outlook",
    "{name} shares jump {pct}% after record revenue",
    "{analyst} upgrades {name} to Buy, sees {pct}% upside",
    "{name} raises dividend by {pct}% on strong cash flow",
    "{name} wins multi-year contract worth ${num} million",
    "{name} stock climbs as margins expand for third straight quarter",
    "${ticker} rallies after {name} announces ${num} million buyback",
]
NEWS_NEU = [
    "{name} to report fourth-quarter results on Thursday",
    "{name} names new chief financial officer",
    "{name} schedules investor day for next month",
    "{name} completes previously announced debt offering",
    "{analyst} reiterates Hold rating on {name}",
    "{name} files annual report with regulators",
    "{name} to present at industry conference next week",
]
NEWS_NEG = [
    "{name} misses estimates and cuts guidance; shares fall {pct}%",
    "{analyst} downgrades {name} to Sell on weak demand",
    "{name} shares slump after profit warning",
    "{name} faces lawsuit over accounting practices",
    "{name} suspends dividend as losses widen",
]
COMMENT_POS = [
    "${ticker} looking strong today, adding more",
    "Great quarter from ${ticker}, this one keeps delivering",
    "${ticker} breaking out, bullish into earnings",
    "Love the guidance from {name}, long ${ticker}",
]
COMMENT_NEU = [
    "Anyone watching ${ticker} today?",
    "${ticker} trading sideways, waiting for the report",
    "What do people think of {name} at these levels? $" + "{ticker}",
    "Holding ${ticker} for now, no change",
]
COMMENT_NEG = [
    "${ticker} looks weak, trimming my position",
    "Not liking the price action in ${ticker}",
    "${ticker} keeps sliding, bearish",
]

SPIKE_HRBK_NEWS = [
    "Harbor Bancorp shares plunge {pct}% as regulator opens probe into loan book",
    "Harbor Bancorp halted after depositors pull funds; bank run fears grow",
    "Regulator investigates Harbor Bancorp over hidden loan losses",
    "Harbor Bancorp downgraded to junk by {analyst}, shares crash",
    "Harbor Bancorp warns of large losses, capital shortfall",
    "Harbor Bancorp CEO resigns amid fraud investigation",
]
SPIKE_HRBK_COMMENTS = [
    "$HRBK is collapsing, deposits fleeing, get out now",
    "$HRBK crashing hard, this looks like a bank run",
    "Sold all my $HRBK, fraud probe is terrible news",
    "$HRBK down {pct}% and still falling, disaster",
    "Massive losses on $HRBK today, awful",
]
SPIKE_OIL_NEWS = [
    "Oil tumbles {pct}% as OPEC+ output deal collapses",
    "Crude prices crash to lowest in a year after OPEC+ talks fail",
    "Brent plunges as oil glut fears deepen",
    "Oil producers sink as crude sell-off accelerates",
    "Energy stocks slump as oil prices collapse",
    "Solace Energy shares fall {pct}% as crude crashes",
]
SPIKE_OIL_COMMENTS = [
    "Oil is crashing, $SLCE getting destroyed",
    "Crude down {pct}% today, energy stocks in freefall",
    "OPEC+ deal collapsed, oil tanking, bearish on $SLCE",
]
SPIKE_QMED_NEWS = [
    "FDA rejects Quillon Medical's lead drug; shares plunge {pct}%",
    "Quillon Medical sinks after regulators reject cancer treatment",
    "{analyst} slashes Quillon Medical target after FDA rejection",
    "Quillon Medical halts trial after patient deaths, stock collapses",
]
SPIKE_QMED_COMMENTS = [
    "$QMED rejected by the FDA, stock is crashing",
    "Brutal day for $QMED holders, down {pct}%",
    "$QMED is finished after that FDA letter, selling everything",
]
ENERGY_NEWS = [
    "Crude inventories fall more than expected, oil edges higher",
    "Oil holds near $80 as traders weigh OPEC+ supply plans",
    "Brent crude steady ahead of OPEC+ meeting",
    "Energy stocks gain as oil prices firm",
    "Natural gas and crude futures little changed in early trade",
    "Oil output from the Gulf of Mexico returns to normal",
    "Refiners report strong margins as fuel demand holds up",
]
GENERAL_NEWS = [
    ("Fed holds rates steady, signals patience on cuts", "neutral"),
    ("Treasury yields edge higher ahead of jobs data", "neutral"),
    ("Dollar steadies against the euro in quiet trading", "neutral"),
    ("Stocks open higher as tech leads gains", "positive"),
    ("Gold slips as investors weigh rate outlook", "neutral"),
    ("Global markets mixed as investors await inflation data", "neutral"),
    ("Oil edges up on steady demand outlook", "positive"),
    ("Oil prices steady as inventories hold flat", "neutral"),
]


def fill(t, company=None):
    ticker, name, _ = company if company else ("", "", "")
    return t.format(ticker=ticker, name=name, pct=rng.choice([2, 3, 4, 5, 6, 8, 9, 12, 15, 18, 22, 30]),
                    num=rng.choice([50, 120, 250, 400, 750, 900]), analyst=rng.choice(ANALYSTS))


def ts(minute, second):
    return "%sT%02d:%02d:%02d.%03dZ" % (DAY, minute // 60, minute % 60, second, rng.randrange(1000))


def message(n, minute, stream, text, tickers, title=None):
    m = {"id": "demo-%05d" % n, "ts": ts(minute, rng.randrange(60))}
    if stream == "news":
        m["source"] = rng.choice(NEWS_SOURCES)
        m["title"] = title if title is not None else text
        m["tickers"] = tickers
    else:
        m["source"] = "user%03d" % rng.randrange(400)
        m["text"] = text
    return stream, m


def background(minute):
    """Ordinary traffic: each company gets a message every ~8 minutes."""
    out = []
    for c in COMPANIES:
        if rng.random() < 1 / 8:
            stream = "news" if rng.random() < 0.45 else "comments"
            r = rng.random()
            if stream == "news":
                pool = NEWS_POS if r < 0.35 else NEWS_NEU if r < 0.85 else NEWS_NEG
            else:
                pool = COMMENT_POS if r < 0.35 else COMMENT_NEU if r < 0.85 else COMMENT_NEG
            out.append((stream, fill(rng.choice(pool), c), [c[0]]))
    if rng.random() < 1 / 6:
        text, _ = rng.choice(GENERAL_NEWS)
        out.append(("news", text, []))
    if rng.random() < 1 / 12:
        out.append(("news", rng.choice(ENERGY_NEWS), ["SLCE"] if rng.random() < 0.2 else []))
    return out


def spike(minute):
    out = []
    if 600 <= minute < 690 and rng.random() < 0.6:
        if rng.random() < 0.5:
            out.append(("news", fill(rng.choice(SPIKE_HRBK_NEWS)), ["HRBK"]))
        else:
            out.append(("comments", fill(rng.choice(SPIKE_HRBK_COMMENTS)), []))
    if 780 <= minute < 840 and rng.random() < 0.7:
        if rng.random() < 0.6:
            out.append(("news", fill(rng.choice(SPIKE_OIL_NEWS)), ["SLCE"] if rng.random() < 0.3 else []))
        else:
            out.append(("comments", fill(rng.choice(SPIKE_OIL_COMMENTS)), []))
    if 900 <= minute < 960 and rng.random() < 0.6:
        if rng.random() < 0.5:
            out.append(("news", fill(rng.choice(SPIKE_QMED_NEWS)), ["QMED"]))
        else:
            out.append(("comments", fill(rng.choice(SPIKE_QMED_COMMENTS)), []))
    return out


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "app/demo/feed.jsonl"
    lines = []
    n = 0
    for minute in range(24 * 60):
        for stream, text, tickers in background(minute) + spike(minute):
            n += 1
            stream, m = message(n, minute, stream, text, tickers)
            lines.append((m["ts"], stream, json.dumps(m, ensure_ascii=False)))
    lines.sort()
    poison = [("news", '{"id": "demo-bad-1", "title": "Truncated headline'),
              ("comments", '["not", "an", "object"]'),
              ("comments", '{"id": "demo-bad-3", "ts": "%sT12:00:00Z", "text": ""}' % DAY)]
    for i, p in enumerate(poison):
        lines.insert(len(lines) * (i + 1) // 4, ("", p[0], p[1]))
    with open(path, "w", encoding="utf-8") as f:
        for _, stream, js in lines:
            f.write(json.dumps({"topic": stream, "payload": js}, ensure_ascii=False) + "\n")
    print("wrote %d messages to %s" % (len(lines), path), file=sys.stderr)


if __name__ == "__main__":
    main()
