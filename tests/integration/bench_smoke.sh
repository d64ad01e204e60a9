# bench_smoke.sh — `finsent bench pipeline`, `finsent bench e2e` and the
# alerts part of `finsent bench explain` run end to end on a small scale and
# print well-formed JSON with their keys.
# Performance is measured, never asserted: no timing or ratio is checked.
. tests/integration/lib.sh

MODEL=${FINSENT_TEST_MODEL:-${FINSENT_MODEL:-models/default}}
if [ ! -f "$MODEL/config.json" ]; then
    skip "bench pipeline smoke" "no model at $MODEL"
    skip "bench e2e smoke" "no model at $MODEL"
    skip "bench explain smoke" "no model at $MODEL"
    done_testing
    exit
fi

timeout 120 "$FINSENT" bench pipeline --model "$MODEL" --messages 2000 --seconds 0.5 --json \
    >"$TMP/pipeline.json" 2>"$TMP/pipeline.err"
check "bench pipeline exits 0" test $? -eq 0
check "bench pipeline prints one JSON object with its figures" \
    jq -e 'has("classify_only_msgs_per_s") and has("end_to_end_msgs_per_s") and has("ratio") and
           has("batches") and has("rss_kb") and .benchmark == "pipeline" and .aggregated == 2000' \
    "$TMP/pipeline.json"

timeout 120 "$FINSENT" bench e2e --model "$MODEL" --spikes 3 --json >"$TMP/e2e.json" 2>"$TMP/e2e.err"
check "bench e2e exits 0" test $? -eq 0
check "bench e2e prints one JSON object with its figures" \
    jq -e 'has("p50_ms") and has("p99_ms") and has("max_ms") and has("bound_ms") and has("vs_target") and
           (has("ratio") | not) and
           .benchmark == "e2e" and .spikes == 3 and (.latencies_ms | length) == 3' \
    "$TMP/e2e.json"
timeout 120 "$FINSENT" bench explain --only alerts --rounds 1 --model "$MODEL" --json >"$TMP/explain.json" \
    2>"$TMP/explain.err"
check "bench explain exits 0" test $? -eq 0
# Every send with samples is explained: the demo's 4 alerts fire, and Harbor
# Bancorp's is sent again at 11:00 after repeat_interval (its baseline holds
# while it is open, docs/alerts.md): 5 sends of 3 samples each.
check "bench explain prints one JSON object with the cost of the words behind the demo's 5 sends with samples" \
    jq -e 'has("ms_per_alert") and has("cpu_ms_per_alert") and has("cpu_with") and has("cpu_without") and
           has("cpu_ratio") and .benchmark == "explain" and .alerts == 5 and .sample_texts == 15' \
    "$TMP/explain.json"
check_rc "bench explain --only other is a usage error" 2 "$FINSENT" bench explain --only other
check_rc "bench e2e --spikes 0 is a usage error" 2 "$FINSENT" bench e2e --model "$MODEL" --spikes 0
check_rc "bench pipeline --soak 0 is a usage error" 2 "$FINSENT" bench pipeline --model "$MODEL" --soak 0
check_rc "bench feed without --brokers is a usage error" 2 "$FINSENT" bench feed --rate 10
done_testing
