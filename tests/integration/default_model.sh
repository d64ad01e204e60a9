# default_model.sh — smoke test of the shipped models/default (skipped when
# absent): it loads, has the sentiment and topic heads, and classifies a few
# texts with labels of its heads and probabilities that sum to 1 per head.
# No accuracy is asserted here (see models/default/MODEL_CARD.md for that).
. tests/integration/lib.sh
export OPENBLAS_NUM_THREADS=1
M=models/default

if [ ! -s "$M/model.safetensors" ]; then
    skip "default model" "no $M/model.safetensors"
    done_testing
    exit
fi

check "the model is at most 32 MB" test "$(du -sk "$M" | cut -f1)" -le 32768
check "config.json names both heads" sh -c "grep -q '\"sentiment\"' $M/config.json && grep -q '\"topic\"' $M/config.json"
cat >"$TMP/in.jsonl" <<'EOC'
{"id": 1, "text": "$AAPL shares plunge after the company misses earnings estimates"}
{"id": 2, "text": "Fed raises interest rates by 25 basis points"}
{"id": 3, "text": "$TSLA rallies 10% to a record high"}
{"id": 4, "text": "Exxon raises its quarterly dividend"}
{"id": 5, "text": ""}
EOC
check_rc "classify exits 0" 0 "$FINSENT" classify --model $M "$TMP/in.jsonl"
"$FINSENT" classify --model $M "$TMP/in.jsonl" >"$TMP/out.jsonl" 2>"$TMP/err"
check "one line per text" test "$(wc -l <"$TMP/out.jsonl")" -eq 5
check "no line is an error" sh -c "! grep -q '\"error\"' '$TMP/out.jsonl'"
# every predicted label is one of the model's labels
grep -o '"label":"[^"]*"' "$TMP/out.jsonl" | sed 's/"label"://' | sort -u >"$TMP/labels"
check "ten labels (two heads, five texts)" test "$(grep -o '"label":' "$TMP/out.jsonl" | wc -l)" -eq 10
check "every label is a label of the model" sh -c "while read -r l; do grep -qF -- \"\$l\" $M/config.json || exit 1; done <'$TMP/labels'"
# each head's probabilities sum to 1
grep -o '"probs":\[[^]]*\]' "$TMP/out.jsonl" | sed -e 's/"probs":\[//' -e 's/\]//' >"$TMP/probs"
check "each head's probabilities sum to 1" awk -F, '{ s = 0; for (i = 1; i <= NF; i++) { if ($i < 0 || $i > 1) exit 1; s += $i }
    if (s < 0.999 || s > 1.001) exit 1; n++ } END { exit n != 10 }' "$TMP/probs"
check "sentiment has 3 probabilities, topic 20" sh -c "awk -F, '{print NF}' '$TMP/probs' | sort -n | uniq -c | tr -s ' ' | grep -qx ' 5 3' && awk -F, '{print NF}' '$TMP/probs' | sort -n | uniq -c | tr -s ' ' | grep -qx ' 5 20'"
done_testing
