# zh_checkpoint.sh — bring your own Chinese checkpoint: a checkpoint in
# bert-base-chinese's layout (tests/fixtures/zh-checkpoint, made by
# tools/make_zh_checkpoint.py: its vocabulary style with CJK characters one
# per token and "##" pieces, do_lower_case false, random weights) through
# tokenize, classify and a replay.
#   - tokenize --cased gives Hugging Face BertTokenizer's ids (the fixture's,
#     from tools/tok_reference.py) for Chinese, mixed and full-width text;
#   - classify reads do_lower_case from tokenizer_config.json (the same
#     ids), and its logits equal the fixture's float64 forward to 1e-4;
#   - a replay of a Chinese feed naming one company in six forms (watch-list
#     name, Xueqiu tag, SH / .SS / $ tickers) counts every message under
#     entity 600519, and each window's negatives are the messages classify
#     labels negative.
. tests/integration/lib.sh
FIX=tests/fixtures/zh-checkpoint

jq -c '.sequences | to_entries[] | {id: .key, text: .value.text}' $FIX/expected.json >"$TMP/cases.jsonl"
jq -c '.sequences | to_entries[] | {id: .key, ids: .value.ids}' $FIX/expected.json >"$TMP/want_ids.jsonl"
"$FINSENT" tokenize --vocab $FIX/vocab.txt --cased --max-len 64 "$TMP/cases.jsonl" >"$TMP/ids.jsonl"
check "tokenize exits 0" test $? -eq 0
check "tokenize --cased gives BertTokenizer's ids for every case" cmp "$TMP/want_ids.jsonl" "$TMP/ids.jsonl"
"$FINSENT" tokenize --vocab $FIX/vocab.txt --max-len 64 "$TMP/cases.jsonl" >"$TMP/ids_uncased.jsonl"
check "uncased ids differ (the cased vocabulary's 'A ##p ##p ##le')" test "$(cmp -s "$TMP/want_ids.jsonl" "$TMP/ids_uncased.jsonl"; echo $?)" -eq 1

"$FINSENT" classify --model $FIX --logits --tokens "$TMP/cases.jsonl" >"$TMP/cls.jsonl" 2>"$TMP/cls.err"
check "classify exits 0" test $? -eq 0
check "classify: one line per text, head sentiment with labels negative / positive" \
    jq -se 'length == 12 and all(.[]; (.sentiment.label == "negative" or .sentiment.label == "positive") and
                                      (.sentiment.probs | length) == 2)' "$TMP/cls.jsonl"
check "classify tokenizes as BertTokenizer (cased, from tokenizer_config.json)" \
    jq -se --slurpfile want $FIX/expected.json \
    '[.[] | .tokens] == [$want[0].sequences[] | .ids]' "$TMP/cls.jsonl"
check "classify logits equal the fixture's to 1e-4" \
    jq -se --slurpfile want $FIX/expected.json \
    '[range(length) as $i | [range(2) as $j | (.[$i].logits[$j] - $want[0].sequences[$i].logits[$j]) |
      fabs] | max] | max < 1e-4' "$TMP/cls.jsonl"
check "the labels are the argmax of the expected logits" \
    jq -se --slurpfile want $FIX/expected.json \
    '[.[] | .sentiment.label] == [$want[0].sequences[] | if .logits[0] >= .logits[1] then "negative" else "positive" end]' \
    "$TMP/cls.jsonl"

# the feed: 36 messages a minute apart from 09:30 UTC, each one of the six
# forms of Kweichow Moutai's name or code, a space, one of the fixture's texts,
# then one message at 11:00 that closes the windows
forms='贵州茅台 $贵州茅台(SH600519)$ SH600519 600519.SS $600519 ＳＨ６００５１９'
i=0
: >"$TMP/feed.jsonl"
while [ $i -lt 36 ]; do
    form=$(echo $forms | cut -d' ' -f$((i % 6 + 1)))
    text=$(jq -r --argjson k $((i % 11)) '.sequences[$k].text' $FIX/expected.json)
    jq -nc --arg id "m$i" --argjson ts $((1457947800000 + i * 60000)) --arg t "$form $text" \
        '{id: $id, ts: $ts, text: $t}' >>"$TMP/feed.jsonl"
    i=$((i + 1))
done
echo '{"id":"end","ts":1457953200000,"text":"收盘"}' >>"$TMP/feed.jsonl"
cat >"$TMP/zh.json" <<EOF
{
  "inputs": [{"topic": "weibo"}],
  "kafka": {"bootstrap.servers": "127.0.0.1:1"},
  "ingest": {"watchlist": [{"name": "贵州茅台", "entity": "600519"}]},
  "model": {"dir": "$FIX", "threads": 1},
  "windows": {"size": "15m", "allowed_lateness": "1m", "keys": ["entity"]},
  "rules": [{"name": "neg", "scope": "entity", "min_count": 100, "ratio": 100}],
  "outbox": {"dir": "$TMP/outbox"},
  "metrics": {"listen": ""},
  "log": {"level": "warn"}
}
EOF
"$FINSENT" replay --config "$TMP/zh.json" --file "$TMP/feed.jsonl" --dry-run --dump-windows "$TMP/win.tsv" \
    >"$TMP/replay.out" 2>"$TMP/replay.err"
check "replay exits 0" test $? -eq 0
grep '600519' "$TMP/win.tsv" >"$TMP/moutai.tsv"
check "replay: three 15-minute windows of entity 600519" test "$(wc -l <"$TMP/moutai.tsv")" -eq 3
check "replay: all 36 messages counted under 600519" \
    test "$(awk -F'\t' '{s += $4} END {print s}' "$TMP/moutai.tsv")" -eq 36
# what classify says of the same texts, per 15-minute window
jq -c '{id, text}' "$TMP/feed.jsonl" | head -n 36 | "$FINSENT" classify --model $FIX >"$TMP/feed_cls.jsonl"
jq -r '.sentiment.label' "$TMP/feed_cls.jsonl" |
    awk '{w = int((NR - 1) / 15); c[w]++; if ($1 == "negative") neg[w]++}
         END {for (w = 0; w < 3; w++) printf "%d %d\n", c[w], neg[w]}' >"$TMP/want_win.txt"
sort -t"$(printf '\t')" -k2,2n "$TMP/moutai.tsv" | awk -F'\t' '{printf "%d %d\n", $4, $5}' >"$TMP/got_win.txt"
check "replay: each window's count and negatives equal classify's labels" cmp "$TMP/want_win.txt" "$TMP/got_win.txt"
check "the feed has negative and positive messages" grep -q ' [1-9]' "$TMP/want_win.txt"
done_testing
