# bench_ingest_smoke.sh — `finsent bench ingest` runs end to end on a small
# topic (2 rounds of kcat and finsent reads) and prints well-formed JSON
# with its figures, one entry per round. Performance is measured, never
# asserted: no rate or ratio is checked, only that they are positive.
. tests/integration/lib.sh

if ! command -v kcat >/dev/null 2>&1; then
    skip "bench ingest smoke" "kcat is not installed"
    done_testing
    exit
fi

timeout 120 "$FINSENT" bench ingest --messages 2000 --rounds 2 --json >"$TMP/ingest.json" 2>"$TMP/ingest.err"
check "bench ingest exits 0" test $? -eq 0
check "bench ingest prints one JSON object with its figures" \
    jq -e '.bench == "ingest" and .messages == 2000 and .rounds == 2 and (.per_round | length) == 2 and
           .ratio > 0 and .ratio_of_best > 0 and .ingest_msgs_per_s > 0 and .kcat_msgs_per_s > 0 and
           .decode_only_msgs_per_s > 0 and all(.per_round[]; .ratio > 0 and .ingest_seconds > 0)' \
    "$TMP/ingest.json"
check_rc "bench ingest --rounds 0 is a usage error" 2 "$FINSENT" bench ingest --rounds 0
check_rc "bench ingest --rounds 21 is a usage error" 2 "$FINSENT" bench ingest --rounds 21
check_out "bench ingest --help names --rounds" "--rounds R" "$FINSENT" bench ingest --help
done_testing
