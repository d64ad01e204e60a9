#!/bin/sh
# make_model_zh.sh — `make model-zh`: reproduces models/default-zh, the Chinese
# sentiment model, from ../shared/data/chinese-weibo-stock with finsent alone:
#   1. the data      pos_reviews.txt and neg_reviews.txt trimmed (leading and
#                    trailing white space, CR), exact repeats dropped, the texts
#                    found in both files dropped (their label is unknown), written
#                    as $WORK/weibo.jsonl {"text", "label"} (a build file, never
#                    committed); `finsent train` splits it by FNV-1a 64 of the text
#                    (dev_fraction 0.1), so repeats could not have crossed the split
#   2. finsent vocab build   a WordPiece vocabulary of every character of the texts
#                    (CJK characters are words of their own) and the merges of the
#                    ASCII words (codes, numbers) seen at least twice
#   3. finsent train masked-LM pre-training on the training split's texts
#                    (configs/pretrain-zh.json), then fine-tuning of the sentiment
#                    head, best epoch by dev macro-F1 (configs/train-zh.json)
#   4. finsent train the n-gram stage (configs/ngram-zh.json): hashed TF-IDF of the
#                    tokenizer's words, which for Chinese are single characters, so
#                    its word 1- to 3-grams are character 1- to 3-grams; C and the
#                    mixing weight chosen on dev, refitted on train + dev
#   5. finsent eval  the dev split (the only score: there is no valid file)
#   6. models/default-zh/    model.safetensors (F16), config.json, vocab.txt,
#                    tokenizer_config.json, dev_report.json, MODEL_CARD.md
#                    (models/default-zh.card.md with the measured figures)
# Trainings run under nice -n 15 with OPENBLAS_NUM_THREADS (default 1).
# CARD_ONLY=1 only rewrites MODEL_CARD.md from the template and the last run's
# figures. A rerun resumes an interrupted training; `rm -rf build/model-zh`
# starts over.
set -eu
DATA=../shared/data/chinese-weibo-stock
WORK=build/model-zh
OUT=models/default-zh
FINSENT=${FINSENT:-build/finsent}
NICE=15
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
for f in $DATA/pos_reviews.txt $DATA/neg_reviews.txt; do
    [ -s "$f" ] || { echo "make_model_zh: $f is missing (the data of ../shared/data/README.md)" >&2; exit 1; }
done
mkdir -p $WORK $OUT

. scripts/model_lib.sh # write_card, step, ngram_stage, ship, describe_machine
if [ -n "${CARD_ONLY:-}" ]; then
    write_card models/default-zh.card.md $OUT/MODEL_CARD.md
    echo "make_model_zh: wrote $OUT/MODEL_CARD.md" >&2
    exit 0
fi

# 1. the data: trimmed, deduplicated, conflicts dropped (counts into the card)
trim() { sed 's/\r$//; s/^[[:space:]]*//; s/[[:space:]]*$//' "$1" | grep -v '^$' | LC_ALL=C sort -u; }
trim $DATA/pos_reviews.txt >$WORK/pos.txt
trim $DATA/neg_reviews.txt >$WORK/neg.txt
LC_ALL=C comm -12 $WORK/pos.txt $WORK/neg.txt >$WORK/both.txt
{ LC_ALL=C comm -23 $WORK/pos.txt $WORK/neg.txt | jq -R -c '{text: ., label: "positive"}'
  LC_ALL=C comm -13 $WORK/pos.txt $WORK/neg.txt | jq -R -c '{text: ., label: "negative"}'; } >$WORK/weibo.jsonl
jq -r .text $WORK/weibo.jsonl >$WORK/texts.txt
printf '| %s | %s | %s | %s | %s | %s |\n' "$(grep -c . $DATA/pos_reviews.txt)" "$(grep -c . $DATA/neg_reviews.txt)" \
    "$(wc -l <$WORK/pos.txt)" "$(wc -l <$WORK/neg.txt)" "$(wc -l <$WORK/both.txt)" "$(wc -l <$WORK/weibo.jsonl)" \
    >$WORK/data.txt

: >$WORK/times.txt
step vocab "$FINSENT" vocab build --input $WORK/texts.txt --size 8000 --out $WORK/vocab.txt
step pretrain nice -n $NICE "$FINSENT" train --config configs/pretrain-zh.json
step finetune nice -n $NICE "$FINSENT" train --config configs/train-zh.json
ngram_stage configs/ngram-zh.json
ship $WORK/ngram
"$FINSENT" eval --model $OUT --head sentiment --data $WORK/weibo.jsonl --split dev >$WORK/dev_sentiment.txt
"$FINSENT" eval --model $WORK/finetune --head sentiment --data $WORK/weibo.jsonl --split dev >$WORK/dev_encoder.txt
describe_machine
write_card models/default-zh.card.md $OUT/MODEL_CARD.md
cat $WORK/dev_sentiment.txt
echo "make_model_zh: wrote $OUT" >&2
