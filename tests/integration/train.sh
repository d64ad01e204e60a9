# train.sh — `finsent train` end to end on a tiny synthetic corpus (seconds):
# CSV + JSONL inputs, MLM pre-training, the model directory, learning a
# separable task, resume from a checkpoint giving the same weights as an
# uninterrupted run, one-line errors for bad configs and bad rows, and the
# n-gram stage (objective ngram) on the trained model: written, loaded by
# classify and eval, deterministic.
. tests/integration/lib.sh
export OPENBLAS_NUM_THREADS=1

printf 'text,label\n' >"$TMP/sent.csv"
: >"$TMP/topic.jsonl"
i=0
for t in AAPL MSFT TSLA AMZN NVDA META GOOG NFLX INTC AMD; do
    for k in 1 2 3 4; do
        i=$((i + 1))
        printf '"$%s shares rally, strong earnings beat #%d",1\n' $t $i >>"$TMP/sent.csv"
        printf '$%s stock plunges after weak guidance #%d,0\n' $t $i >>"$TMP/sent.csv"
        printf '{"text": "%s dividend raised by board %d", "label": "dividend"}\n' $t $i >>"$TMP/topic.jsonl"
        printf '{"text": "%s names new chief executive %d", "label": "personnel"}\n' $t $i >>"$TMP/topic.jsonl"
    done
done
printf 'shares rally\nstock plunges again\n' >"$TMP/unlabelled.txt"
"$FINSENT" vocab build --input "$TMP/sent.csv" --input "$TMP/topic.jsonl" --size 300 --min-freq 1 --out "$TMP/vocab.txt" 2>/dev/null

config() { # out epochs schedule
    cat <<EOC
{"out": "$1", "vocab": "$TMP/vocab.txt", "max_len": 16,
 "model": {"hidden": 16, "layers": 1, "heads": 2, "intermediate": 32},
 "heads": [{"name": "sentiment", "labels": ["negative", "positive"]},
           {"name": "topic", "labels": ["dividend", "personnel"]}],
 "data": [{"path": "$TMP/sent.csv", "head": "sentiment"}, {"path": "$TMP/topic.jsonl", "head": "topic"}],
 "unlabelled": ["$TMP/unlabelled.txt"], "pretrain_steps": 5, "batch_tokens": 128,
 "epochs": $2, "lr": 5e-3, "warmup": 0, "schedule": "$3", "dev_fraction": 0.2}
EOC
}

config "$TMP/a" 6 linear >"$TMP/a.json"
check_rc "train exits 0" 0 "$FINSENT" train --config "$TMP/a.json"
check "model directory written" test -s "$TMP/a/model.safetensors" -a -s "$TMP/a/config.json" -a -s "$TMP/a/vocab.txt" -a -s "$TMP/a/tokenizer_config.json"
check "config lists both heads" grep -q '"finsent_heads"' "$TMP/a/config.json"
check "checkpoint written" test -s "$TMP/a/checkpoint/optimizer.bin" -a -s "$TMP/a/checkpoint/state.json"
check "the separable task is learned (dev accuracy 1)" sh -c "grep -cE '\"accuracy\":[[:space:]]*1,' '$TMP/a/dev_report.json' | grep -qx 2"

# domains: the topic file as another register; dev scored per domain
sed -e 's|"head": "topic"}|"head": "topic", "domain": "other"}|' -e "s|\"$TMP/a\"|\"$TMP/dom\"|" \
    -e 's|"epochs": 6|"epochs": 1|' "$TMP/a.json" >"$TMP/dom.json"
"$FINSENT" train --config "$TMP/dom.json" 2>"$TMP/dom.log"
check "dev scored per domain" grep -q 'dev other topic: accuracy' "$TMP/dom.log"
check "the main domain is named main" grep -q 'dev main sentiment: accuracy' "$TMP/dom.log"
check "the dev report names the domains" grep -q '"domain":[[:space:]]*"other"' "$TMP/dom/dev_report.json"

# resume: 1 epoch, then the same run extended to 3 epochs, equals 3 epochs straight
config "$TMP/s" 3 constant >"$TMP/s.json"
config "$TMP/r" 1 constant >"$TMP/r1.json"
config "$TMP/r" 3 constant >"$TMP/r3.json"
"$FINSENT" train --config "$TMP/s.json" 2>/dev/null
"$FINSENT" train --config "$TMP/r1.json" 2>/dev/null
check_out "a rerun resumes from the checkpoint" "resuming from" "$FINSENT" train --config "$TMP/r3.json"
check "resumed weights equal uninterrupted weights" cmp "$TMP/s/checkpoint/model.safetensors" "$TMP/r/checkpoint/model.safetensors"

# pre-training alone (epochs 0): MLM, whole-word MLM and ELECTRA; stopped at
# pretrain_stop_at and resumed, each ends with the weights of a straight run
pretrain_config() { # out objective whole_word stop_at
    sed -e "s|\"out\": \"$TMP/a\"|\"out\": \"$1\", \"pretrain_objective\": \"$2\", \"whole_word_mask\": $3, \"pretrain_stop_at\": $4, \"electra_gen_intermediate\": 8|" \
        -e 's|"pretrain_steps": 5|"pretrain_steps": 6, "checkpoint_every": 4|' -e 's|"epochs": 6|"epochs": 0|' "$TMP/a.json"
}
for v in "mlm false" "mlm true" "electra false" "electra true"; do
    set -- $v
    pretrain_config "$TMP/p-$1-$2" $1 $2 0 >"$TMP/p.json"
    "$FINSENT" train --config "$TMP/p.json" 2>"$TMP/p.log"
    pretrain_config "$TMP/q-$1-$2" $1 $2 3 >"$TMP/q.json"
    check_out "$1 (whole words $2): stops at pretrain_stop_at" "stopped at pretrain_stop_at" \
        "$FINSENT" train --config "$TMP/q.json"
    pretrain_config "$TMP/q-$1-$2" $1 $2 0 >"$TMP/q.json"
    check_out "$1 (whole words $2): a rerun resumes at step 3" "pre-training step 3" "$FINSENT" train --config "$TMP/q.json"
    check "$1 (whole words $2): resumed = straight" cmp "$TMP/p-$1-$2/model.safetensors" "$TMP/q-$1-$2/model.safetensors"
done
check "ELECTRA reports its discriminator" grep -q 'ELECTRA step 6: generator MLM loss' "$TMP/p.log"
check "ELECTRA keeps its generator in the checkpoint only" test -s "$TMP/p-electra-true/checkpoint/electra.bin"
check "the ELECTRA encoder has no MLM head" sh -c "! grep -aq 'cls.predictions' '$TMP/p-electra-true/model.safetensors'"
check "whole-word masking changes the MLM run" sh -c "! cmp -s '$TMP/p-mlm-false/model.safetensors' '$TMP/p-mlm-true/model.safetensors'"
sed -e "s|\"out\": \"$TMP/a\"|\"out\": \"$TMP/fe\", \"init_from\": \"$TMP/p-electra-false\"|" -e 's|"epochs": 6|"epochs": 1|' \
    -e 's|"pretrain_steps": 5|"pretrain_steps": 0|' "$TMP/a.json" >"$TMP/fe.json"
check_out "fine-tuning starts from the ELECTRA encoder" "initialised 27 of 32 tensors" "$FINSENT" train --config "$TMP/fe.json"

# fine-tuning from a model directory takes its shape from its config.json
sed -e "s|\"out\": \"$TMP/a\"|\"out\": \"$TMP/f\", \"init_from\": \"$TMP/a\"|" -e 's|"hidden": 16|"hidden": 32|' \
    -e 's|"epochs": 6|"epochs": 1|' "$TMP/a.json" >"$TMP/f.json"
check_out "init_from loads the encoder and heads" "initialised 27 of 32 tensors" "$FINSENT" train --config "$TMP/f.json"
check "fine-tuned model keeps the source shape" grep -qE '"hidden_size":[[:space:]]*16,' "$TMP/f/config.json"

printf '{"out": "%s/x", "vocab": "%s/vocab.txt", "heads": [{"name": "sentiment", "labels": ["a", "b"]}], "data": [{"path": "%s/sent.csv", "head": "topic"}]}' "$TMP" "$TMP" "$TMP" >"$TMP/bad.json"
check_err "unknown head named with its JSON path, exit 2" 2 "data[0].head" "$FINSENT" train --config "$TMP/bad.json"
printf 'text,label\nfine,1\nodd,7\n' >"$TMP/badrow.csv"
sed "s|$TMP/sent.csv|$TMP/badrow.csv|" "$TMP/a.json" | sed "s|\"$TMP/a\"|\"$TMP/b\"|" >"$TMP/badrow.json"
check_err "bad label names file and line, exit 1" 1 "badrow.csv:3: label \"7\"" "$FINSENT" train --config "$TMP/badrow.json"
check_rc "missing --config exits 2" 2 "$FINSENT" train
# SEntFiN format: headline labels from Decisions (apostrophes in names), disagreeing headlines left out
cat >"$TMP/sf.csv" <<'EOC'
S No.,Title,Decisions,Words
1,AAPL shares rally,{'AAPL': 'positive'},3
2,"Moody's cuts TSLA, stock plunges","{'TSLA': 'negative', 'Moody's': 'negative'}",5
3,MSFT up and AMZN down,"{'MSFT': 'positive', 'AMZN': 'negative'}",5
EOC
sed -e "s|{\"path\": \"$TMP/sent.csv\", \"head\": \"sentiment\"}|{\"path\": \"$TMP/sf.csv\", \"head\": \"sentiment\", \"format\": \"sentfin\"}|" \
    -e "s|\"$TMP/a\"|\"$TMP/sf\"|" -e 's|"epochs": 6|"epochs": 1|' -e 's|"dev_fraction": 0.2|"dev_fraction": 0|' \
    -e 's|"labels": \["negative", "positive"\]|"labels": ["negative", "positive", "neutral"]|' "$TMP/a.json" >"$TMP/sf.json"
check_out "sentfin data: the two agreeing headlines train" "head sentiment: 2 training, 0 dev examples" \
    "$FINSENT" train --config "$TMP/sf.json"
sed '3s/negative.}/bad}/' "$TMP/sf.csv" >"$TMP/sfbad.csv"
sed "s|$TMP/sf.csv|$TMP/sfbad.csv|" "$TMP/sf.json" >"$TMP/sfbad.json"
check_err "a malformed Decisions dict names file and line" 1 "sfbad.csv:3: Decisions is not" \
    "$FINSENT" train --config "$TMP/sfbad.json"

# the n-gram stage on model a
ngram_config() { # out init_from
    sed -e "s|\"out\": \"$TMP/a\"|\"out\": \"$1\", \"init_from\": \"$2\", \"objective\": \"ngram\", \"ngram_buckets\": 512, \"ngram_c_max\": 2|" \
        "$TMP/a.json"
}
ngram_config "$TMP/n" "$TMP/a" >"$TMP/n.json"
ngram_config "$TMP/n2" "$TMP/a" >"$TMP/n2.json"
# the sentiment file again as a second domain: the head's choice weighs both, each reported
ngram_config "$TMP/nd" "$TMP/a" | sed "s|\"data\": \[|\"data\": [{\"path\": \"$TMP/sent.csv\", \"head\": \"sentiment\", \"domain\": \"copy\"}, |" >"$TMP/nd.json"
check_out "the n-gram stage reports each domain's dev" "ngram sentiment: dev copy (15 examples)" \
    "$FINSENT" train --config "$TMP/nd.json"
check_out "ngram stage reports its choice per head" "ngram topic: chose C" "$FINSENT" train --config "$TMP/n.json"
check "ngram model directory written" test -s "$TMP/n/model.safetensors" -a -s "$TMP/n/vocab.txt" -a -s "$TMP/n/tokenizer_config.json"
check "config.json carries finsent_ngram" grep -q '"finsent_ngram"' "$TMP/n/config.json"
check "the n-gram tensors are stored" grep -aq 'finsent.ngram.sentiment.weight' "$TMP/n/model.safetensors"
"$FINSENT" train --config "$TMP/n2.json" 2>/dev/null
check "the ngram stage is deterministic" cmp "$TMP/n/model.safetensors" "$TMP/n2/model.safetensors"
printf '{"id": 1, "text": "$AAPL shares rally"}\n' >"$TMP/one.jsonl"
check_out "classify loads the ngram model" '"sentiment"' "$FINSENT" classify --model "$TMP/n" "$TMP/one.jsonl"
"$FINSENT" eval --model "$TMP/n" --head sentiment --data "$TMP/sent.csv" >"$TMP/eval.out" 2>&1
check "eval scores the ngram model: accuracy over all 80 rows" grep -qE '^ *accuracy +[01][.][0-9]{4} +80$' "$TMP/eval.out"
# --part: each part alone; their logits add up to the whole model's (on a
# copy of n with mix 1: the tiny task is separable, so the search picks 0)
cp -r "$TMP/n" "$TMP/nm"
sed -i 's/"mix":[[:space:]]*[0-9.e+-]*/"mix": 1/' "$TMP/nm/config.json"
for p in all encoder ngram; do
    "$FINSENT" classify --model "$TMP/nm" --logits --part $p "$TMP/one.jsonl" >"$TMP/part_$p.jsonl" 2>/dev/null
done
"$FINSENT" classify --model "$TMP/a" --logits "$TMP/one.jsonl" >"$TMP/plain.jsonl" 2>/dev/null
check "classify --part encoder gives the plain encoder's output" cmp "$TMP/plain.jsonl" "$TMP/part_encoder.jsonl"
check "encoder + ngram logits = all logits" sh -c "jq -s '[.[0].logits, .[1].logits, .[2].logits] | transpose | all(.[0] - .[1] - .[2] | fabs < 1e-4)' \
    '$TMP/part_all.jsonl' '$TMP/part_encoder.jsonl' '$TMP/part_ngram.jsonl' | grep -qx true"
check "the n-gram part changes the logits" sh -c "! cmp -s '$TMP/part_all.jsonl' '$TMP/part_encoder.jsonl'"
check_out "eval --part ngram scores the n-gram part" "accuracy" \
    "$FINSENT" eval --model "$TMP/n" --head sentiment --data "$TMP/sent.csv" --part ngram
check_err "eval --part ngram of a model without one is refused" 2 "no n-gram part" \
    "$FINSENT" eval --model "$TMP/a" --head sentiment --data "$TMP/sent.csv" --part ngram
check_rc "classify --part ngram of a model without one exits 2" 2 \
    "$FINSENT" classify --model "$TMP/a" --part ngram "$TMP/one.jsonl"
check_rc "an unknown --part exits 2" 2 "$FINSENT" eval --model "$TMP/n" --head sentiment --data "$TMP/sent.csv" --part wide
ngram_config "$TMP/n3" "$TMP/n" >"$TMP/n3.json"
"$FINSENT" train --config "$TMP/n3.json" 2>/dev/null
check "rerun on an ngram model replaces its part" cmp "$TMP/n/model.safetensors" "$TMP/n3/model.safetensors"
# character n-grams, then the refit on train + dev
sed 's|"ngram_c_max": 2|"ngram_c_max": 2, "ngram_char_min": 3, "ngram_char_max": 4|' "$TMP/n.json" |
    sed "s|\"out\": \"$TMP/n\"|\"out\": \"$TMP/nc\"|" >"$TMP/nc.json"
"$FINSENT" train --config "$TMP/nc.json" 2>/dev/null
check "config.json carries the character orders" grep -q '"char_orders":' "$TMP/nc/config.json"
check "character n-grams change the weights" sh -c "! cmp -s '$TMP/n/model.safetensors' '$TMP/nc/model.safetensors'"
sed -e 's|"ngram_char_max": 4|"ngram_char_max": 4, "ngram_refit": true|' -e "s|\"$TMP/nc\"|\"$TMP/ncr\"|" \
    "$TMP/nc.json" >"$TMP/ncr.json"
check_out "refit reported with the train + dev count" "refitted C" "$FINSENT" train --config "$TMP/ncr.json"
check "the refit changes the weights" sh -c "! cmp -s '$TMP/nc/model.safetensors' '$TMP/ncr/model.safetensors'"
check_out "classify loads the character n-gram model" '"sentiment"' "$FINSENT" classify --model "$TMP/nc" "$TMP/one.jsonl"
# ngram_drop_unseen: buckets no training text has get IDF 0 (and only those)
idf_zeros() { # model dir: how many entries of finsent.ngram.idf are 0 (F16 or F32)
    st="$1/model.safetensors"
    hl=$(od -An -t u8 -N8 "$st" | tr -d ' ')
    head -c $((8 + hl)) "$st" | tail -c "$hl" >"$TMP/hdr.json"
    set -- $(jq -r '.["finsent.ngram.idf"] | "\(.data_offsets[0]) \(.data_offsets[1]) \(.dtype)"' "$TMP/hdr.json")
    w=4; [ "$3" = F16 ] && w=2
    tail -c +$((8 + hl + $1 + 1)) "$st" | head -c $(($2 - $1)) | od -An -v -t u$w | tr -s ' ' '\n' | grep -cx 0
}
sed -e 's|"ngram_c_max": 2|"ngram_c_max": 2, "ngram_drop_unseen": true|' -e "s|\"out\": \"$TMP/n\"|\"out\": \"$TMP/nd\"|" \
    "$TMP/n.json" >"$TMP/nd.json"
"$FINSENT" train --config "$TMP/nd.json" 2>/dev/null
check "without ngram_drop_unseen no bucket has IDF 0" test "$(idf_zeros "$TMP/n")" -eq 0
check "with it the unseen buckets have IDF 0" test "$(idf_zeros "$TMP/nd")" -gt 0
check "and it changes the weights" sh -c "! cmp -s '$TMP/n/model.safetensors' '$TMP/nd/model.safetensors'"
sed 's|"ngram_char_max": 4|"ngram_char_max": 0|' "$TMP/nc.json" >"$TMP/ncbad.json"
check_err "char min without max is a config error" 2 "ngram_char_max" "$FINSENT" train --config "$TMP/ncbad.json"
sed 's|"init_from": "[^"]*", ||' "$TMP/n.json" >"$TMP/nbad.json"
check_err "objective ngram without init_from is a config error" 2 "init_from" "$FINSENT" train --config "$TMP/nbad.json"
done_testing
