# tokenize.sh — `finsent tokenize`: fixture ids byte for byte, streaming
# from stdin, malformed lines in place, truncation, long lines, errors.
. tests/integration/lib.sh

FX=tests/fixtures/tokenizer
V=$FX/vocab.txt

check_rc "--help exits 0" 0 "$FINSENT" tokenize --help
check_out "--help has an example" "example:" "$FINSENT" tokenize --help

"$FINSENT" tokenize --vocab $V --max-len 100000 $FX/cases.jsonl >"$TMP/unc" 2>"$TMP/err"
check "uncased fixture ids match the Python reference" cmp "$TMP/unc" $FX/expected_uncased.jsonl
"$FINSENT" tokenize --vocab $V --cased --max-len 100000 <$FX/cases.jsonl >"$TMP/cas" 2>"$TMP/err"
check "cased fixture ids from stdin match the Python reference" cmp "$TMP/cas" $FX/expected_cased.jsonl

printf '%s\n' '{"id":1,"text":"hello"}' 'not json' '' '{"id":"b","text":7}' '[1,2]' '{"text":"up"}' \
    '{"id":{"k":1}}' '{"id":2,"text":"down"}' >"$TMP/mixed"
"$FINSENT" tokenize --vocab $V "$TMP/mixed" >"$TMP/mixout" 2>/dev/null
check_rc "malformed lines do not fail the run" 0 "$FINSENT" tokenize --vocab $V "$TMP/mixed"
check "one output line per non-blank input line" test "$(wc -l <"$TMP/mixout")" -eq 7
check "invalid JSON reported with its line" grep -qx '{"error":"invalid JSON","line":2}' "$TMP/mixout"
check "non-string text keeps the id" grep -qx '{"id":"b","error":"\\"text\\" is not a string","line":4}' "$TMP/mixout"
check "non-object reported" grep -qx '{"error":"not a JSON object","line":5}' "$TMP/mixout"
check "missing text keeps an object id" grep -qx '{"id":{"k":1},"error":"no \\"text\\" field","line":7}' "$TMP/mixout"
check "order kept: first and last" sh -c "head -n1 '$TMP/mixout' | grep -q '^{\"id\":1,\"ids\":\[2,' && tail -n1 '$TMP/mixout' | grep -q '^{\"id\":2,\"ids\":\[2,'"

# U+0000 is dropped like HF's _clean_text does, not an end of text
printf '%s\n' '{"id":1,"text":"ab\u0000cd"}' '{"id":1,"text":"abcd"}' | "$FINSENT" tokenize --vocab $V >"$TMP/nul" 2>/dev/null
check "escaped U+0000 is dropped, the text goes on" test "$(sed -n 1p "$TMP/nul")" = "$(sed -n 2p "$TMP/nul")"

# truncation: [CLS] + 3 pieces + [SEP]
echo '{"id":1,"text":"a b c d e f g"}' | "$FINSENT" tokenize --vocab $V --max-len 5 >"$TMP/trunc" 2>/dev/null
check "--max-len 5 gives 5 ids" grep -qx '{"id":1,"ids":\[2,[0-9]*,[0-9]*,[0-9]*,3\]}' "$TMP/trunc"

# a 2 MB line and 50k short lines stream through
awk 'BEGIN { printf "{\"id\":\"big\",\"text\":\""; for (i = 0; i < 200000; i++) printf "word%d ", i % 10; print "\"}" }' >"$TMP/big"
awk 'BEGIN { for (i = 0; i < 50000; i++) printf "{\"id\":%d,\"text\":\"$AAPL up %d.5%% &amp; more\"}\n", i, i }' >>"$TMP/big"
"$FINSENT" tokenize --vocab $V --max-len 16 "$TMP/big" >"$TMP/bigout" 2>/dev/null
check "long line and many lines: all answered" test "$(grep -c '"ids":' "$TMP/bigout")" -eq 50001
check "long line truncated to --max-len" sh -c "head -n1 '$TMP/bigout' | grep -q '^{\"id\":\"big\",\"ids\":\[2\(,[0-9]*\)\{14\},3\]}\$'"
check "last line in place" grep -q '^{"id":49999,' "$TMP/bigout"

check_rc "missing --vocab exits 2" 2 "$FINSENT" tokenize "$TMP/mixed"
check_err "missing vocab file named, exit 2" 2 "nonexistent-vocab.txt" "$FINSENT" tokenize --vocab "$TMP/nonexistent-vocab.txt" "$TMP/mixed"
check_rc "bad --max-len exits 2" 2 "$FINSENT" tokenize --vocab $V --max-len 1 "$TMP/mixed"
check_err "bad --max-len named" 2 "--max-len" "$FINSENT" tokenize --vocab $V --max-len x "$TMP/mixed"
check_err "missing input file named, exit 2" 2 "no-such-input" "$FINSENT" tokenize --vocab $V "$TMP/no-such-input"
done_testing
