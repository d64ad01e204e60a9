# default_model_zh.sh — smoke test of the shipped Chinese model
# models/default-zh (skipped when absent): small, one sentiment head with
# labels negative / positive, a vocabulary that covers Chinese characters
# one token each, and classify on Chinese, mixed and empty texts with
# probabilities that sum to 1. No accuracy is asserted here (see
# models/default-zh/MODEL_CARD.md for the dev scores).
. tests/integration/lib.sh
export OPENBLAS_NUM_THREADS=1
M=models/default-zh

if [ ! -s "$M/model.safetensors" ]; then
    skip "Chinese model" "no $M/model.safetensors"
    done_testing
    exit
fi

check "the model is at most 8 MB" test "$(du -sk "$M" | cut -f1)" -le 8192
check "one head, sentiment: negative / positive" \
    jq -e '.finsent_heads == [{"name": "sentiment", "id2label": {"0": "negative", "1": "positive"}}]' $M/config.json
check "the n-gram part is character uni- and bigrams (words of one character)" \
    jq -e '.finsent_ngram.orders == [1, 2] and (.finsent_ngram.char_orders // [] | length) == 0' $M/config.json
# (no punctuation: the training posts have none, so "，" is [UNK]; see the card)
echo '{"id": 1, "text": "今天大盘放量上涨 券商股集体涨停"}' >"$TMP/tok.jsonl"
"$FINSENT" tokenize --vocab $M/vocab.txt "$TMP/tok.jsonl" >"$TMP/ids.jsonl"
unk=$(grep -n '^\[UNK\]$' $M/vocab.txt | cut -d: -f1)
check "common characters are in the vocabulary, one token each ([CLS] + 15 + [SEP])" \
    jq -e --argjson unk $((unk - 1)) '(.ids | length) == 17 and (.ids | index($unk)) == null' "$TMP/ids.jsonl"
cat >"$TMP/in.jsonl" <<'EOC'
{"id": 1, "text": "$贵州茅台(SH600519)$ 跌停了，赶紧跑"}
{"id": 2, "text": "主力资金持续流入，放量突破，明天继续看涨"}
{"id": 3, "text": "ＳＨ６００５１９ 😀 AAPL 2016年3月15日"}
{"id": 4, "text": ""}
EOC
"$FINSENT" classify --model $M "$TMP/in.jsonl" >"$TMP/out.jsonl" 2>"$TMP/err"
check "classify exits 0" test $? -eq 0
check "one line per text, each labelled negative or positive with probabilities that sum to 1" \
    jq -se 'length == 4 and all(.[]; (.sentiment.label == "negative" or .sentiment.label == "positive") and
            (.sentiment.probs | length) == 2 and ((.sentiment.probs | add) - 1 | fabs) < 0.001)' "$TMP/out.jsonl"
done_testing
