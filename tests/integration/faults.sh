# faults.sh — `finsent run` with a model that is missing or corrupt: one
# clear error naming the file, exit 2, and nothing consumed (the consumer
# group has no committed offset afterwards, checked with kcat). The faults
# of a running service (brokers, request errors, latency, webhook outage,
# disk full) are in tests/unit/test_faults.c.
. tests/integration/lib.sh

MODEL=${FINSENT_TEST_MODEL:-models/default}
FEED=app/demo/feed.jsonl
export FINSENT_DEMO_SECRET=faults-secret FINSENT_DEMO_OUTBOX="$TMP/outbox" \
    FINSENT_DEMO_WEBHOOK="http://127.0.0.1:9/alerts"

"$FINSENT" mock-broker --brokers 1 --topic news:2 --topic comments:2 --topic finsent.deadletter:1 \
    >"$TMP/broker.out" 2>"$TMP/broker.err" &
broker=$!
i=0
while ! grep -q bootstrap.servers "$TMP/broker.out" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
bs=$(sed -n 's/^bootstrap.servers=//p' "$TMP/broker.out")
export FINSENT_DEMO_BROKERS="$bs"
for t in news comments; do
    jq -r --arg t "$t" 'select(.topic == $t) | .payload' "$FEED" | kcat -P -b "$bs" -t "$t" 2>/dev/null
done

# bad_start NAME MODEL_DIR FILE_NAMED: run exits 2 at once with one line naming the file
bad_start() {
    timeout 60 "$FINSENT" run --config configs/demo.json --model "$2" >"$TMP/run.out" 2>"$TMP/run.err"
    rc=$?
    check "$1: exit 2" test $rc -eq 2
    check "$1: one line naming $3" sh -c "test \$(wc -l <'$TMP/run.err') -eq 1 && grep -qF -- '$3' '$TMP/run.err'"
    sed 's/^/# /' "$TMP/run.err"
}

bad_start "model directory missing" "$TMP/no-such-model" "$TMP/no-such-model/config.json"
if [ -f "$MODEL/config.json" ]; then
    # corrupt COPY: a copy of the model with one file damaged by the command
    corrupt() {
        rm -rf "$TMP/m"
        cp -r "$MODEL" "$TMP/m"
        sh -c "$1"
    }
    size=$(stat -c %s "$MODEL/model.safetensors")
    corrupt "head -c 100 '$MODEL/model.safetensors' >'$TMP/m/model.safetensors'"
    bad_start "safetensors header cut short" "$TMP/m" "$TMP/m/model.safetensors"
    corrupt "head -c $((size - 1000)) '$MODEL/model.safetensors' >'$TMP/m/model.safetensors'"
    bad_start "safetensors data cut short" "$TMP/m" "$TMP/m/model.safetensors"
    corrupt "printf 'xxxxxxxx{not json' >'$TMP/m/model.safetensors'"
    bad_start "safetensors garbage" "$TMP/m" "$TMP/m/model.safetensors"
    corrupt "rm '$TMP/m/model.safetensors'"
    bad_start "weights missing" "$TMP/m" "$TMP/m/model.safetensors"
    corrupt "printf '{\"hidden_size\": ' >'$TMP/m/config.json'"
    bad_start "config.json not JSON" "$TMP/m" "$TMP/m/config.json"
    corrupt "rm '$TMP/m/vocab.txt'"
    bad_start "vocabulary missing" "$TMP/m" "$TMP/m/vocab.txt"
else
    skip "corrupt model files" "no model at $MODEL"
fi

# nothing was consumed: the group has no committed offset on any partition
timeout 30 kcat -b "$bs" -G finsent-demo -X auto.offset.reset=error -e -q news comments \
    >"$TMP/kcat.out" 2>"$TMP/kcat.err"
check "no message was consumed by the failed starts" test ! -s "$TMP/kcat.out"
check "the group has no committed offset" grep -q "No offset stored" "$TMP/kcat.err"
check "the outbox was not created" test ! -e "$TMP/outbox"
kill -TERM $broker
wait $broker
done_testing
