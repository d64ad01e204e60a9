# eval.sh — `finsent eval` on the multihead encoder fixture (hidden 32) and a
# hand-checked 8-text file. The fixture predicts topic "other" for texts 1-4
# and "earnings" for texts 5-8; the gold labels make 6 of 8 right:
#   earnings: gold 3 (5,6,8), predicted 4, right 3: P 0.75 R 1 F1 6/7
#   macro:    gold 1 (3), predicted 0: P R F1 0
#   m&a:      neither gold nor predicted: listed, left out of the averages
#   other:    gold 4 (1,2,4,7), predicted 4 (1-4), right 3: P R F1 0.75
#   accuracy 0.75; macro F1 (6/7 + 0 + 0.75) / 3 = 0.535714...;
#   weighted recall (3 + 0 + 3) / 8 = 0.75; weighted F1 (18/7 + 3) / 8 = 0.696428...
. tests/integration/lib.sh
export OPENBLAS_NUM_THREADS=1
M=tests/fixtures/encoder/multihead

cat >"$TMP/t.csv" <<'EOC'
text,label
The stock fell after earnings miss.,other
"Shares rose on strong guidance!",other
"bank cut",macro
"crash sell weak loss",other
market up,earnings
"profit
record",Earnings
"the market fell",other
"stock crash",earnings
EOC
# the same with integer ids (JSONL) and with letters mapped by --label-map
i=0
for t in "The stock fell after earnings miss.:3" "Shares rose on strong guidance!:3" "bank cut:1" "crash sell weak loss:3" \
         "market up:0" "profit record:0" "the market fell:3" "stock crash:0"; do
    printf '{"text": "%s", "gold": %s}\n' "${t%:*}" "${t##*:}" >>"$TMP/t.jsonl"
done
sed -e 's/,other$/,O/' -e 's/,macro$/,M/' -e 's/,[Ee]arnings$/,E/' -e '1s/.*/text,y/' "$TMP/t.csv" >"$TMP/m.csv"

check_out "text report: accuracy" "accuracy                        0.7500         8" \
    "$FINSENT" eval --model $M --data "$TMP/t.csv" --head topic
check_out "text report: earnings row" "earnings    0.7500    1.0000    0.8571         3" \
    "$FINSENT" eval --model $M --data "$TMP/t.csv" --head topic
check_out "text report: macro average" "macro avg    0.5000    0.5833    0.5357         8" \
    "$FINSENT" eval --model $M --data "$TMP/t.csv" --head topic
check_out "text report: confusion row of other" "other      1      0      0      3" \
    "$FINSENT" eval --model $M --data "$TMP/t.csv" --head topic
"$FINSENT" eval --model $M --data "$TMP/t.csv" --head topic --json >"$TMP/names.json" 2>&1
check "JSON report: accuracy" grep -qF '"n":8,"accuracy":0.75,' "$TMP/names.json"
check "JSON report: macro average (F1 = 15/28)" \
    grep -qF '"macro avg":{"precision":0.5,"recall":0.58333333333333337,"f1":0.5357142857142857,' "$TMP/names.json"
check "JSON report: weighted average (F1 = 39/56)" \
    grep -qF '"weighted avg":{"precision":0.65625,"recall":0.75,"f1":0.6964285714285714,' "$TMP/names.json"
check "JSON report: confusion matrix" grep -qF '"rows":[[3,0,0,0],[0,0,0,1],[0,0,0,0],[1,0,0,3]]' "$TMP/names.json"
"$FINSENT" eval --model $M --data "$TMP/t.jsonl" --label-column gold --head topic --json >"$TMP/ids.json" 2>&1
check "integer ids in JSONL give the same report" cmp "$TMP/names.json" "$TMP/ids.json"
"$FINSENT" eval --model $M --data "$TMP/m.csv" --label-column y --label-map E=earnings,M=macro,O=other --head topic \
    --json >"$TMP/map.json" 2>&1
check "--label-map gives the same report" cmp "$TMP/names.json" "$TMP/map.json"

sed '4s/macro$/bogus/' "$TMP/t.csv" >"$TMP/bad.csv"
check_err "an unknown gold label names file and line, exit 2" 2 "bad.csv:4: gold label \"bogus\" is not a label of head topic" \
    "$FINSENT" eval --model $M --data "$TMP/bad.csv" --head topic
check_rc "ids are not accepted next to --label-map" 2 \
    "$FINSENT" eval --model $M --data "$TMP/t.jsonl" --label-column gold --label-map E=earnings --head topic
check_err "a label map value must be a head label" 2 "\"bullish\" is not a label of head topic" \
    "$FINSENT" eval --model $M --data "$TMP/t.csv" --head topic --label-map 1=bullish
check_err "an unknown head is named" 2 "has no head \"mood\"" "$FINSENT" eval --model $M --data "$TMP/t.csv" --head mood
check_rc "missing --head exits 2" 2 "$FINSENT" eval --model $M --data "$TMP/t.csv"
check_err "a missing column is named" 2 "no column \"body\"" \
    "$FINSENT" eval --model $M --data "$TMP/t.csv" --head topic --text-column body

# --format sentfin: headline labels from Decisions, apostrophes inside names, disagreeing headlines left out
cat >"$TMP/sf.csv" <<'EOC'
S No.,Title,Decisions,Words
1,bank cut,{'Bank': 'negative'},2
2,"stock crash","{'Moody's': 'negative', 'Stock': 'negative'}",2
3,market up,"{'A': 'positive', 'B': 'negative'}",2
EOC
check_out "sentfin: two agreeing headlines scored" "accuracy                        0.0000         2" \
    "$FINSENT" eval --model $M --data "$TMP/sf.csv" --head sentiment --format sentfin --split all
done_testing
