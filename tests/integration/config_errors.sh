# config_errors.sh — `finsent config check`: every broken config under
# tests/configs/bad/ gives exactly the one-line error in its .expect file and
# exit 2; configs/finsent.json passes; secrets never reach the output.
. tests/integration/lib.sh

unset FINSENT_TEST_UNSET_BROKERS
for cfg in tests/configs/bad/*.json; do
    name=$(basename "$cfg" .json)
    "$FINSENT" config check "$cfg" >"$TMP/stdout" 2>"$TMP/stderr"
    rc=$?
    if [ $rc -eq 2 ] && cmp -s "$TMP/stderr" "${cfg%.json}.expect" && [ ! -s "$TMP/stdout" ]; then
        ok "bad config $name: exit 2 and the expected line"
    else
        notok "bad config $name: exit 2 and the expected line"
        echo "# exit $rc"
        sed 's/^/# expected: /' "${cfg%.json}.expect"
        sed 's/^/# got:      /' "$TMP/stderr"
    fi
done

check_err "literal secret is not echoed" 2 "got a literal string" "$FINSENT" config check tests/configs/bad/literal_secret.json
if grep -q hunter2 "$TMP/out"; then notok "literal secret value absent from the error"; else ok "literal secret value absent from the error"; fi

secret="wh-secret-$$-q7"
check_rc "configs/finsent.json passes" 0 env FINSENT_WEBHOOK_SECRET="$secret" "$FINSENT" config check configs/finsent.json
check_out "effective config masks the webhook secret" '"secret":	"***"' \
    env FINSENT_WEBHOOK_SECRET="$secret" "$FINSENT" config check configs/finsent.json
if grep -q "$secret" "$TMP/out"; then notok "webhook secret absent from the output"; else ok "webhook secret absent from the output"; fi
check_err "configs/finsent.json needs its secret" 2 \
    "configs/finsent.json: sinks[0].secret: environment variable FINSENT_WEBHOOK_SECRET is not set" \
    env -u FINSENT_WEBHOOK_SECRET "$FINSENT" config check configs/finsent.json

cat >"$TMP/kafka.json" <<'JSON'
{"kafka": {"bootstrap.servers": "127.0.0.1:9092", "sasl.password": "${FS_KAFKA_PW}", "ssl.key.pem": "${FS_KAFKA_PW}"},
 "inputs": [{"topic": "news"}]}
JSON
check_out "kafka credentials printed as ***" '"sasl.password":	"***"' env FS_KAFKA_PW="$secret" "$FINSENT" config check "$TMP/kafka.json"
if grep -q "$secret" "$TMP/out"; then notok "kafka credential absent from the output"; else ok "kafka credential absent from the output"; fi

check_rc "missing file exits 2" 2 "$FINSENT" config check "$TMP/nope.json"
check_err "missing file named" 2 "$TMP/nope.json: cannot read: No such file or directory" "$FINSENT" config check "$TMP/nope.json"
check_rc "no action exits 2" 2 "$FINSENT" config
check_rc "unknown action exits 2" 2 "$FINSENT" config lint configs/finsent.json
check_out "--help has an example" "finsent config check configs/finsent.json" "$FINSENT" config --help
done_testing
