# ops_kit.sh — the operations kit in ops/ (docs/operations.md): the
# Prometheus rules pass `promtool check rules` and their unit tests
# (`promtool test rules`), the systemd unit passes `systemd-analyze verify`
# with a graceful stop and a restart policy, and every finsent_* metric
# that the Grafana dashboard or the rules query is one that a running
# `finsent run` exports (scraped from its /metrics while it consumes the
# demo feed from a mock broker).
. tests/integration/lib.sh

MODEL=${FINSENT_TEST_MODEL:-models/default}
DASH=ops/grafana/finsent-dashboard.json
RULES=ops/prometheus/finsent-rules.yml

# 1. Prometheus rules
if command -v promtool >/dev/null 2>&1; then
    check "promtool check rules $RULES" promtool check rules "$RULES"
    check "promtool test rules: each rule fires when it should, with its summary" \
        sh -c 'cd ops/prometheus && promtool test rules finsent-rules.test.yml'
else
    notok "promtool is installed (Debian package prometheus; scripts/deps.sh)"
fi

# 2. systemd unit: verified with ExecStart pointing at the binary under test
sed "s|/opt/finsent/finsent |$FINSENT |" ops/systemd/finsent.service >"$TMP/finsent.service"
if command -v systemd-analyze >/dev/null 2>&1; then
    systemd-analyze verify "$TMP/finsent.service" >"$TMP/verify.out" 2>&1
    check "systemd-analyze verify passes without a warning" test $? -eq 0 -a ! -s "$TMP/verify.out"
    sed 's/^/# /' "$TMP/verify.out"
else
    notok "systemd-analyze is installed (Debian package systemd; scripts/deps.sh)"
fi
check "the unit stops gracefully: SIGTERM to finsent alone, a stop timeout" \
    sh -c "grep -qx 'KillSignal=SIGTERM' $TMP/finsent.service && grep -qx 'KillMode=mixed' $TMP/finsent.service &&
           grep -qx 'TimeoutStopSec=90s' $TMP/finsent.service"
check "the unit restarts on failure but not on a bad config (exit 2)" \
    sh -c "grep -qx 'Restart=on-failure' $TMP/finsent.service && grep -qx 'RestartPreventExitStatus=2' $TMP/finsent.service"
check "the unit reloads with SIGHUP" grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$TMP/finsent.service"

# 3. the dashboard is Grafana JSON over finsent's metrics
check "the dashboard is JSON with panels" jq -e '.panels | length > 10' "$DASH"
for what in finsent_consumer_lag finsent_messages_in_total finsent_classify_seconds_bucket \
    finsent_alerts_fired_total finsent_webhook_latency_seconds_count finsent_alerts_pending; do
    check "the dashboard shows $what" grep -q "$what" "$DASH"
done

if [ ! -f "$MODEL/config.json" ]; then
    skip "metrics scraped from a running finsent" "no model at $MODEL"
    done_testing
    exit
fi

# 4. a running instance: mock broker, the demo feed, finsent run; scrape /metrics
"$FINSENT" mock-broker --brokers 1 --topic news:2 --topic comments:2 --topic finsent.alerts:1 \
    --topic finsent.deadletter:1 >"$TMP/broker.out" 2>"$TMP/broker.err" &
broker=$!
i=0
while ! grep -q bootstrap.servers "$TMP/broker.out" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
bs=$(sed -n 's/^bootstrap.servers=//p' "$TMP/broker.out")
for t in news comments; do
    jq -r --arg t "$t" 'select(.topic == $t) | .payload' app/demo/feed.jsonl | kcat -P -b "$bs" -t "$t" 2>/dev/null
done
jq --arg o "$TMP/outbox" '.log.level = "info" | .outbox.dir = $o' configs/demo.json >"$TMP/run.json"
FINSENT_DEMO_SECRET=x FINSENT_DEMO_BROKERS="$bs" FINSENT_DEMO_WEBHOOK="http://127.0.0.1:9/alerts" \
    "$FINSENT" --log-format text run --config "$TMP/run.json" --model "$MODEL" >"$TMP/run.out" 2>"$TMP/run.err" &
run=$!
url=""
i=0
while [ -z "$url" ] && [ $i -lt 100 ]; do
    sleep 0.2
    url=$(grep -o 'http://127.0.0.1:[0-9]*/metrics' "$TMP/run.err" | head -n 1)
    i=$((i + 1))
done
# until alerts fired and their webhook failed (so the outcome histograms have counts)
fired=0
i=0
while [ "$fired" = 0 ] && [ -n "$url" ] && [ $i -lt 90 ]; do
    sleep 1
    curl -s "$url" >"$TMP/metrics.txt"
    fired=$(awk '$1 == "finsent_alerts_fired_total" && $2 > 0 {print 1}' "$TMP/metrics.txt")
    fired=${fired:-0}
    i=$((i + 1))
done
check "a running finsent serves /metrics and has fired alerts" test "$fired" = 1
ready=$(curl -s -o /dev/null -w '%{http_code}' "${url%/metrics}/readyz")
check "it is ready (/readyz 200, finsent_ready 1)" sh -c "[ '$ready' = 200 ] && grep -qx 'finsent_ready 1' $TMP/metrics.txt"
grep -v '^#' "$TMP/metrics.txt" | sed 's/[{ ].*//' | sort -u >"$TMP/exported"
jq -r '.. | objects | (.expr?, .definition?) // empty' "$DASH" | grep -o 'finsent_[a-z_]*' | sort -u >"$TMP/dash"
grep -v '^ *#' "$RULES" | grep -o 'finsent_[a-z_]*' | sort -u >"$TMP/rules"
check "the dashboard queries $(wc -l <"$TMP/dash") finsent metrics" test "$(wc -l <"$TMP/dash")" -ge 20
missing=$(comm -23 "$TMP/dash" "$TMP/exported")
check "every finsent metric the dashboard queries is exported${missing:+ (missing: $missing)}" test -z "$missing"
missing=$(comm -23 "$TMP/rules" "$TMP/exported")
check "every finsent metric the alerting rules use is exported${missing:+ (missing: $missing)}" test -z "$missing"
kill -TERM $run
wait $run
check "finsent run drains and exits 0 on SIGTERM" test $? -eq 0
kill -TERM $broker
wait $broker
done_testing
