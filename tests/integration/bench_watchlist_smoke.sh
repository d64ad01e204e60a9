# bench_watchlist_smoke.sh — `finsent bench watchlist` runs on a small
# watch list and prints well-formed JSON with its figures. Performance is
# measured, never asserted: rates and the ratio are only checked positive;
# the entity counts show that both matchers found names (the new one more:
# it finds the Chinese names without spaces around them).
. tests/integration/lib.sh

timeout 120 "$FINSENT" bench watchlist --names 300 --messages 200 --seconds 0.05 --json \
    >"$TMP/wl.json" 2>"$TMP/wl.err"
check "bench watchlist exits 0" test $? -eq 0
check "bench watchlist prints one JSON object with its figures" \
    jq -e '.benchmark == "watchlist" and .names == 300 and .messages == 200 and .ratio > 0 and
           .new_msgs_per_s > 0 and .old_msgs_per_s > 0 and .no_watchlist_msgs_per_s > 0 and
           .old_entities_per_pass > 0 and .new_entities_per_pass > .old_entities_per_pass' \
    "$TMP/wl.json"
check_rc "bench watchlist --names 0 is a usage error" 2 "$FINSENT" bench watchlist --names 0
check_out "bench watchlist --help has an example" "example: finsent bench watchlist" "$FINSENT" bench watchlist --help
done_testing
