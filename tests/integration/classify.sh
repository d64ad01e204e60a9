# classify.sh — `finsent classify` and `finsent bench classify` on the
# encoder fixture (tests/fixtures/encoder): order, heads, flags, malformed
# lines in place, --explain's words and offsets, model errors, bench dispatch.
. tests/integration/lib.sh
FIX=tests/fixtures/encoder

cat >"$TMP/in.jsonl" <<'JSONL'
{"id":1,"text":"The stock fell after earnings miss."}
not json

{"id":"x","text":5}
{"text":"Shares rose on strong guidance!"}
{"id":4,"text":""}
JSONL

"$FINSENT" classify --model $FIX/multihead --logits --tokens --batch 2 "$TMP/in.jsonl" >"$TMP/res" 2>"$TMP/err"
check "classify exits 0 with malformed lines" test $? -eq 0
check "one output line per non-blank input line" test "$(wc -l <"$TMP/res")" -eq 5
check "first line keeps its id and both heads" grep -q '^{"id":1,"topic":{"label":"[^"]*","score":[0-9.e-]*,"probs":\[[^]]*\]},"sentiment":{' "$TMP/res"
check "tokens of the first text" grep -q '"tokens":\[2,55,56,58,64,65,67,14,3\]}$' "$TMP/res"
check "invalid JSON in place" test "$(sed -n 2p "$TMP/res")" = '{"error":"invalid JSON","line":2}'
check "non-string text in place, with id" test "$(sed -n 3p "$TMP/res")" = '{"id":"x","error":"\"text\" is not a string","line":4}'
check "empty text is classified" grep -q '^{"id":4,"topic"' "$TMP/res"
check "malformed lines counted on stderr" grep -q '2 malformed' "$TMP/err"
# logits of text 1 equal the fixture's (PyTorch) to 1e-4
want=$(tr -d ' \n' <$FIX/multihead/expected.json | sed 's/.*"ids":\[2,55,56,58,64,65,67,14,3\],"logits":\[\([^]]*\)\].*/\1/')
got=$(sed -n 1p "$TMP/res" | sed 's/.*"logits":\[\([^]]*\)\].*/\1/')
check "logits match PyTorch to 1e-4" awk -v a="$want" -v b="$got" 'BEGIN{n=split(a,x,",");split(b,y,",");
  for(i=1;i<=n;i++){d=x[i]-y[i]; if(d<0)d=-d; if(d>1e-4) exit 1} exit n==7?0:1}'

# --explain: the same scores, and per head every word of the text with its
# byte offsets, highest weight first; malformed lines stay as they were
"$FINSENT" classify --model $FIX/multihead --batch 2 "$TMP/in.jsonl" >"$TMP/plain" 2>/dev/null
"$FINSENT" classify --model $FIX/multihead --explain --batch 2 "$TMP/in.jsonl" >"$TMP/xres" 2>/dev/null
check "classify --explain exits 0" test $? -eq 0
check "--explain adds explain and changes nothing else" sh -c "jq -c 'del(.explain)' '$TMP/xres' | cmp - '$TMP/plain'"
t1='The stock fell after earnings miss.'
check "--explain: the 7 words of text 1 for both heads, offsets into the text" \
    jq -e -s --arg t "$t1" '.[] | select(.id == 1) | .explain | (.topic | length) == 7 and (.sentiment | length) == 7 and
        ([.topic[], .sentiment[]] | all(.word == $t[.start:.end])) and
        ([.sentiment[].word] | sort) == (["The", "stock", "fell", "after", "earnings", "miss", "."] | sort)' "$TMP/xres"
check "--explain: weights highest first" \
    jq -e -s '[.[] | select(.explain) | .explain[] | [.[].weight] as $w | $w == ($w | sort | reverse)] | all' "$TMP/xres"
check "--explain: an empty text has no words" jq -e -s '.[] | select(.id == 4) | .explain == {"topic": [], "sentiment": []}' \
    "$TMP/xres"
check "--explain: malformed lines in place" test "$(sed -n 2p "$TMP/xres")" = '{"error":"invalid JSON","line":2}'

printf '{"id":7,"text":"bank rally"}\n' | "$FINSENT" classify --model $FIX/base >"$TMP/one" 2>&1
check "plain checkpoint: one head named sentiment, stdin" grep -q '^{"id":7,"sentiment":{"label":"\(negative\|neutral\|positive\)"' "$TMP/one"
printf '{"id":7,"text":"bank rally"}\n' | "$FINSENT" classify --model $FIX/base --head-name tone >"$TMP/one" 2>&1
check "--head-name names the head" grep -q '^{"id":7,"tone":{' "$TMP/one"

# int8: the same labels here, logits near fp32's but not equal (it ran in int8)
"$FINSENT" classify --model $FIX/multihead --logits --quantize int8 --threads 2 "$TMP/in.jsonl" >"$TMP/res8" 2>/dev/null
check "classify --quantize int8 exits 0" test $? -eq 0
check "int8: one output line per non-blank input line" test "$(wc -l <"$TMP/res8")" -eq 5
check "int8: same labels as fp32" test "$(jq -c '[.topic.label, .sentiment.label]' "$TMP/res")" = \
    "$(jq -c '[.topic.label, .sentiment.label]' "$TMP/res8")"
check "int8: logits within 0.3 of fp32's, and not all equal" jq -e -n --slurpfile a "$TMP/res" --slurpfile b "$TMP/res8" '
  [range(0; $a | length) | select($a[.].logits) | . as $i | range(0; 7) | ($a[$i].logits[.] - $b[$i].logits[.]) | fabs]
  | (max < 0.3) and (max > 0)'
check_rc "bad --quantize exits 2" 2 "$FINSENT" classify --model $FIX/base --quantize int4

check_rc "missing --model exits 2" 2 "$FINSENT" classify
check_err "bad model dir named, exit 2" 2 "$TMP/nomodel/config.json: No such file or directory" "$FINSENT" classify --model "$TMP/nomodel"
check_rc "bad --batch exits 2" 2 "$FINSENT" classify --model $FIX/base --batch 0

check_err "bench: unknown benchmark named, exit 2" 2 "unknown benchmark 'nope' (one of: classify" "$FINSENT" bench nope
check_rc "bench classify: needs --model or --shape" 2 "$FINSENT" bench classify
check_rc "bench classify: bad shape exits 2" 2 "$FINSENT" bench classify --shape 30,1,4,64
check_out "bench classify --json has a ratio" '"ratio":' "$FINSENT" bench classify --shape 32,1,2,64 --seconds 0.2 --json
"$FINSENT" bench classify --model $FIX/base --seconds 0.2 --json >"$TMP/bench.json" 2>&1
# the encoder counts the rows it ran on; a padded batch of the same forwards is counted apart
check "bench classify on a model dir: no padding computed, where a padded batch would pad" \
    jq -e '.padding_share == 0 and .padded_batch_padding_share > 0.05 and .tokens > 0' "$TMP/bench.json"
check_out "bench classify --quantize int8 says so" '"quantize":"int8"' "$FINSENT" bench classify --shape 32,1,2,64 --seconds 0.2 --quantize int8 --json
"$FINSENT" classify --model $FIX/base --tokens "$TMP/in.jsonl" 2>/dev/null | jq -c 'select(.tokens) | {ids: .tokens}' >"$TMP/ids"
check_out "bench classify --ids runs the given ids" '"form":"ids"' "$FINSENT" bench classify --model $FIX/base --ids "$TMP/ids" --batch 2 --seconds 0.2 --json
printf '{"ids":[2,5000]}\n' >"$TMP/badids"
check_err "bench classify --ids: an id outside the vocabulary named" 2 "$TMP/badids:1: id 1 is not a token id in 0..96" "$FINSENT" bench classify --model $FIX/base --ids "$TMP/badids"
done_testing
