# security.sh — the hardening of inputs and outputs: webhook URL schemes,
# a warning for plain http off loopback, TLS verification on by default
# (checked against a self-signed TLS server), secrets only from the
# environment and never in logs, metrics or the outbox, metrics on
# loopback by default, the outbox private (0600 in a 0700 directory), and
# the Kafka SASL/TLS example config.
. tests/integration/lib.sh

MODEL=${FINSENT_TEST_MODEL:-models/default}
FEED=app/demo/feed.jsonl

# webhook_config URL [EXTRA_SINK_KEYS]: one webhook sink, no inputs
webhook_config() {
    printf '{"sinks": [{"name": "hook", "type": "webhook", "url": "%s"%s}]}\n' "$1" "${2:-}"
}

# 1. only http and https webhooks
for url in "ftp://alerts.example.com/x" "file:///etc/passwd" "gopher://alerts.example.com/" "javascript:alert(1)" \
    "alerts.example.com/x"; do
    webhook_config "$url" >"$TMP/scheme.json"
    check_rc "webhook url $url is refused" 2 "$FINSENT" config check "$TMP/scheme.json"
    check_err "... naming the key" 2 "sinks[0].url: expected an http:// or https:// URL" \
        "$FINSENT" config check "$TMP/scheme.json"
done

# 2. plain http: a warning unless the host is loopback
webhook_config "http://alerts.example.com/hook" >"$TMP/http.json"
check_out "plain http to another host warns and recommends https" "use an https:// URL" \
    "$FINSENT" config check "$TMP/http.json"
for url in "http://127.0.0.1:8080/hook" "http://localhost/hook" "https://alerts.example.com/hook"; do
    webhook_config "$url" >"$TMP/quiet.json"
    "$FINSENT" config check "$TMP/quiet.json" >/dev/null 2>"$TMP/quiet.err"
    check "no warning for $url" test ! -s "$TMP/quiet.err"
done

# 3. effective defaults: TLS verification on, metrics on loopback
webhook_config "https://alerts.example.com/hook" >"$TMP/defaults.json"
"$FINSENT" config check "$TMP/defaults.json" >"$TMP/effective.json" 2>/dev/null
check "tls_verify defaults to true" jq -e '.sinks[0].tls_verify == true' "$TMP/effective.json"
check "metrics listen on 127.0.0.1 by default" jq -e '.metrics.listen == "127.0.0.1:9464"' "$TMP/effective.json"

# 4. the HMAC secret only from the environment
webhook_config "https://alerts.example.com/hook" ', "secret": "hunter2"' >"$TMP/literal.json"
check_rc "a literal webhook secret is refused" 2 "$FINSENT" config check "$TMP/literal.json"
check_err "... saying why" 2 "sinks[0].secret" "$FINSENT" config check "$TMP/literal.json"
webhook_config "https://alerts.example.com/hook" ', "secret": "${FT_UNSET_SECRET:-hunter2}"' >"$TMP/default.json"
check_rc "a secret with a default value is refused" 2 "$FINSENT" config check "$TMP/default.json"
webhook_config "https://alerts.example.com/hook" ', "secret": "${FT_SECRET}"' >"$TMP/env.json"
check_err "an unset secret variable is named" 2 "FT_SECRET" env -u FT_SECRET "$FINSENT" config check "$TMP/env.json"
FT_SECRET=whsec-9c1f0e77 "$FINSENT" config check "$TMP/env.json" >"$TMP/env.out" 2>&1
check "a secret from the environment is accepted" jq -e '.sinks[0].secret == "***"' "$TMP/env.out"
check "... and never printed" sh -c "! grep -q whsec-9c1f0e77 '$TMP/env.out'"

# 5. the Kafka SASL/TLS example passes with its variables set, names them when not
export KAFKA_BROKERS=broker1:9093 KAFKA_USERNAME=finsent KAFKA_PASSWORD=kpw-51d0a2c3 \
    FINSENT_WEBHOOK_SECRET=whsec-0b7a3e91 FINSENT_ALERTS_URL=https://alerts.example.com/finsent
"$FINSENT" config check configs/kafka-sasl-tls.example.json >"$TMP/sasl.out" 2>"$TMP/sasl.err"
check "configs/kafka-sasl-tls.example.json passes config check" test $? -eq 0
check "... with SASL_SSL and a CA file passed through" \
    jq -e '.kafka["security.protocol"] == "SASL_SSL" and (.kafka["ssl.ca.location"] | length > 0)' "$TMP/sasl.out"
check "... the passwords masked" jq -e '.kafka["sasl.password"] == "***" and .sinks[0].secret == "***"' "$TMP/sasl.out"
check "... and never printed" sh -c "! grep -q -e kpw-51d0a2c3 -e whsec-0b7a3e91 '$TMP/sasl.out' '$TMP/sasl.err'"
check_err "without KAFKA_PASSWORD the variable is named" 2 "kafka.sasl.password: environment variable KAFKA_PASSWORD" \
    env -u KAFKA_PASSWORD "$FINSENT" config check configs/kafka-sasl-tls.example.json
unset KAFKA_BROKERS KAFKA_USERNAME KAFKA_PASSWORD FINSENT_WEBHOOK_SECRET FINSENT_ALERTS_URL

if [ ! -f "$MODEL/config.json" ]; then
    skip "secrets in a live run, outbox mode, TLS verification" "no model at $MODEL"
    done_testing
    exit
fi

# config_with KAFKA_EXTRA SINK_URL SINK_EXTRA OUTBOX: the demo's rules, one webhook sink
config_with() {
    cat <<EOF
{"kafka": {"bootstrap.servers": "\${FT_BROKERS:-127.0.0.1:9}"$1},
 "group_id": "finsent-security",
 "inputs": [{"topic": "news"}, {"topic": "comments"}],
 "dead_letter_topic": "finsent.deadletter",
 "model": {"dir": "$MODEL", "threads": 1, "max_len": 64},
 "windows": {"size": "15m", "allowed_lateness": "1m", "idle_timeout": "10s", "keys": ["entity", "topic"]},
 "baseline": {"alpha": 0.1, "warmup_windows": 8},
 "rules": [{"name": "entity-negative-spike", "scope": "entity", "min_count": 6, "min_negatives": 5, "ratio": 4,
            "severity": "critical", "repeat_interval": "1h", "resolve_after": 2}],
 "sinks": [{"name": "hook", "type": "webhook", "url": "$2", "give_up_after": "1s"$3}],
 "outbox": {"dir": "$4"},
 "metrics": {"listen": "127.0.0.1:0"},
 "log": {"level": "debug"}}
EOF
}

# 6. a live run with a webhook secret and a SASL password set, logging at
# debug: neither appears in the logs, /metrics, /healthz or the outbox
WH_SECRET=whsec-live-4e5d6c7b
KAFKA_PW=kafka-pw-8a9b0c1d
"$FINSENT" mock-broker --brokers 1 --topic news:2 --topic comments:2 --topic finsent.deadletter:1 \
    >"$TMP/broker.out" 2>"$TMP/broker.err" &
broker=$!
i=0
while ! grep -q bootstrap.servers "$TMP/broker.out" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
bs=$(sed -n 's/^bootstrap.servers=//p' "$TMP/broker.out")
for t in news comments; do
    jq -r --arg t "$t" 'select(.topic == $t) | .payload' "$FEED" | kcat -P -b "$bs" -t "$t" 2>/dev/null
done
config_with ', "sasl.username": "finsent", "sasl.password": "${FT_KAFKA_PASSWORD}"' "http://127.0.0.1:9/alerts" \
    ', "secret": "${FT_SECRET}"' "$TMP/live-outbox" >"$TMP/live.json"
FT_BROKERS="$bs" FT_SECRET="$WH_SECRET" FT_KAFKA_PASSWORD="$KAFKA_PW" \
    "$FINSENT" run --config "$TMP/live.json" >"$TMP/live.out" 2>"$TMP/live.err" &
run=$!
i=0
port=""
while [ -z "$port" ] && [ $i -lt 100 ]; do
    sleep 0.1
    port=$(sed -n 's|.*metrics on http://127.0.0.1:\([0-9]*\)/metrics.*|\1|p' "$TMP/live.err" | head -n 1)
    i=$((i + 1))
done
check "run serves metrics on 127.0.0.1" test -n "$port"
events=$(jq -r '.payload' "$FEED" | jq -R 'fromjson? | select(type == "object" and ((.title // .text // "") | length) > 0)' | jq -s length)
agg=0
i=0
while [ "${agg:-0}" -lt "$events" ] && [ $i -lt 60 ]; do
    sleep 1
    curl -s "http://127.0.0.1:$port/metrics" >"$TMP/metrics.txt"
    agg=$(awk '$1 == "finsent_events_aggregated_total" {print $2}' "$TMP/metrics.txt")
    i=$((i + 1))
done
check "the run counted the feed ($events events)" test "${agg:-0}" -eq "$events"
# lag per partition: a line for each of the 4 assigned partitions, 0 once
# everything was read (a dead letter after the last event may lag a scrape)
lag_lines() { grep -cE '^finsent_consumer_lag\{topic="(news|comments)",partition="[01]"\} 0$' "$TMP/metrics.txt"; }
i=0
while [ "$(lag_lines)" -ne 4 ] && [ $i -lt 10 ]; do
    sleep 1
    curl -s "http://127.0.0.1:$port/metrics" >"$TMP/metrics.txt"
    i=$((i + 1))
done
check "/metrics has finsent_consumer_lag 0 for each of the 4 partitions" test "$(lag_lines)" -eq 4
curl -s "http://127.0.0.1:$port/healthz" >"$TMP/healthz.txt"
curl -s "http://127.0.0.1:$port/readyz" >>"$TMP/healthz.txt"
kill -TERM $run
wait $run
check "run exits 0 on SIGTERM" test $? -eq 0
check "the logs are at debug level (the check is meaningful)" grep -q '"level":"debug"' "$TMP/live.err"
for f in live.out live.err metrics.txt healthz.txt; do
    check "no secret in $f" sh -c "! grep -q -e '$WH_SECRET' -e '$KAFKA_PW' '$TMP/$f'"
done
check "no secret in the outbox directory" sh -c "! grep -rq -e '$WH_SECRET' -e '$KAFKA_PW' '$TMP/live-outbox'"
check "the outbox file is 0600" test "$(stat -c %a "$TMP/live-outbox/alerts.outbox")" = 600
check "the outbox directory is 0700" test "$(stat -c %a "$TMP/live-outbox")" = 700
kill -TERM $broker
wait $broker

# 7. TLS verification: a self-signed server is refused by default and
# reached with tls_verify false
if openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 1 \
    -subj /CN=127.0.0.1 >/dev/null 2>&1; then
    for verify in default false; do
        timeout 60 openssl s_server -accept 127.0.0.1:0 -cert "$TMP/cert.pem" -key "$TMP/key.pem" -www \
            >"$TMP/tls.out" 2>&1 &
        tls=$!
        i=0
        while ! grep -q '^ACCEPT' "$TMP/tls.out" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        tport=$(sed -n 's/^ACCEPT .*:\([0-9]*\)$/\1/p' "$TMP/tls.out")
        extra=""
        [ $verify = false ] && extra=', "tls_verify": false'
        config_with "" "https://127.0.0.1:$tport/alerts" "$extra" "$TMP/tls-$verify" >"$TMP/tls.json"
        "$FINSENT" replay --config "$TMP/tls.json" --file "$FEED" >/dev/null 2>"$TMP/tls-$verify.err"
        kill $tls 2>/dev/null
        wait $tls 2>/dev/null
    done
    check "tls_verify by default: a self-signed certificate is refused" \
        grep -q "SSL certificate problem" "$TMP/tls-default/failed.jsonl"
    check "tls_verify false: the same server is reached (no certificate error)" \
        sh -c "test -s '$TMP/tls-false/failed.jsonl' && ! grep -q 'SSL certificate' '$TMP/tls-false/failed.jsonl'"
else
    skip "TLS verification" "openssl cannot make a certificate"
fi
done_testing
