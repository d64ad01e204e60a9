# mock_broker.sh — `finsent mock-broker`: flags, the bootstrap line, topics
# usable by an independent client (kcat), and exit on SIGTERM.
. tests/integration/lib.sh

check_rc "--brokers 0 exits 2" 2 "$FINSENT" mock-broker --brokers 0
check_err "--brokers 0 is named" 2 "--brokers" "$FINSENT" mock-broker --brokers 0
check_rc "bad --topic exits 2" 2 "$FINSENT" mock-broker --topic news
check_err "bad --topic is named" 2 "news:x" "$FINSENT" mock-broker --topic news:x
check_out "--help has an example" "example:" "$FINSENT" mock-broker --help

"$FINSENT" mock-broker --brokers 2 --topic news:4 --topic comments:2 >"$TMP/mb.out" 2>"$TMP/mb.err" &
pid=$!
i=0
while [ ! -s "$TMP/mb.out" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "prints bootstrap.servers" grep -qE '^bootstrap.servers=127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+$' "$TMP/mb.out"
bs=$(sed -n 's/^bootstrap.servers=//p' "$TMP/mb.out")

check_out "topic news has 4 partitions" "topic \"news\" with 4 partitions" timeout 20 kcat -L -b "$bs" -t news
printf 'k1:{"id":"1","text":"$AAPL up"}\nk2:{"id":"2","text":"down"}\n' >"$TMP/in"
check "kcat produces" timeout 20 kcat -P -q -b "$bs" -t comments -K: -l "$TMP/in"
timeout 20 kcat -C -q -b "$bs" -t comments -o beginning -c 2 -f '%k\n' >"$TMP/got" 2>&1
check "kcat consumes both" test "$(sort "$TMP/got" | tr '\n' ' ')" = "k1 k2 "

kill -TERM $pid
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "exits on SIGTERM" sh -c "! kill -0 $pid 2>/dev/null"
wait $pid
check "exit status 0 after SIGTERM" test $? -eq 0
kill -9 $pid 2>/dev/null
done_testing
