#!/bin/sh
# make_model.sh — `make model`: reproduces the shipped default model
# models/default from ../shared/data with finsent alone (C only):
#   1. finsent vocab build   an 8k WordPiece vocab on the training tweets and
#                            the unlabelled StockNet tweets
#   2. finsent train         masked-LM pre-training in two runs: 4,000 steps at lr 1e-3
#                            (configs/pretrain-default.json), then 4,000 more at 5e-4
#                            from there (configs/pretrain2-default.json)
#   3. finsent train         two-head fine-tuning (configs/train-default.json) on the
#                            tweets and the SEntFiN headlines, best epoch by mean dev
#                            macro-F1
#   4. finsent train         the n-gram stage (configs/ngram-default.json): hashed word
#                            uni- and bigram and character 3- to 5-gram TF-IDF logistic
#                            regression per head, C and mixing weight chosen on dev,
#                            refitted on train + dev, added to the fine-tuned model
#   5. finsent eval          dev splits of the train files and SEntFiN, then the valid files
#   6. models/default/       model.safetensors (F16), config.json, vocab.txt,
#                            tokenizer_config.json, dev_report.json, MODEL_CARD.md
#                            (models/default.card.md with the measured figures)
# Training runs niced with OPENBLAS_NUM_THREADS (default 2). A rerun resumes
# an interrupted training from build/model/*/checkpoint; `rm -rf build/model`
# starts over. FINETUNED=DIR skips the encoder training: the n-gram stage
# runs on DIR and the result is packaged. CARD_ONLY=1 only rewrites
# MODEL_CARD.md from the template and the figures of the last run.
set -eu
DATA=../shared/data
WORK=build/model
OUT=models/default
FINSENT=${FINSENT:-build/finsent}
NICE=10
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-2}"
SENT=$DATA/twitter-financial-news-sentiment
TOPIC=$DATA/twitter-financial-news-topic
for f in $SENT/sent_train.csv $SENT/sent_valid.csv $TOPIC/topic_train.csv $TOPIC/topic_valid.csv \
         $DATA/unlabelled/stocknet_tweets.txt $DATA/sentfin/SEntFiN.csv; do
    [ -s "$f" ] || { echo "make_model: $f is missing (the data of $DATA/README.md)" >&2; exit 1; }
done
mkdir -p $WORK $OUT

. scripts/model_lib.sh # write_card, step, ngram_stage, ship, describe_machine
if [ -n "${CARD_ONLY:-}" ]; then
    write_card models/default.card.md $OUT/MODEL_CARD.md
    echo "make_model: wrote $OUT/MODEL_CARD.md" >&2
    exit 0
fi

# FINETUNED=DIR takes an already fine-tuned encoder instead of training one
# (the encoder stages' times are then expected in $WORK/times.txt)
FT=$WORK/ngram
NGRAM_CONFIG=configs/ngram-default.json
if [ -n "${FINETUNED:-}" ]; then
    NGRAM_CONFIG=$WORK/ngram-config.json
    sed "s|\"init_from\": \"[^\"]*\"|\"init_from\": \"$FINETUNED\"|" configs/ngram-default.json >$NGRAM_CONFIG
    touch $WORK/times.txt
    sed -i '/^| ngram /d' $WORK/times.txt
else
: >$WORK/times.txt
step vocab "$FINSENT" vocab build --input $SENT/sent_train.csv --input $TOPIC/topic_train.csv \
    --input $DATA/unlabelled/stocknet_tweets.txt --size 8000 --out $WORK/vocab.txt
step pretrain nice -n 10 "$FINSENT" train --config configs/pretrain-default.json
step pretrain2 nice -n 10 "$FINSENT" train --config configs/pretrain2-default.json
step finetune nice -n 10 "$FINSENT" train --config configs/train-default.json
fi
ngram_stage "$NGRAM_CONFIG"
ship $FT

# dev = the training files' dev split (as `finsent train` made it); valid = the valid files
"$FINSENT" eval --model $OUT --head sentiment --data $SENT/sent_train.csv --split dev \
    --label-map 0=negative,1=positive,2=neutral >$WORK/dev_sentiment.txt
"$FINSENT" eval --model $OUT --head topic --data $TOPIC/topic_train.csv --split dev >$WORK/dev_topic.txt
"$FINSENT" eval --model $OUT --head sentiment --format sentfin --data $DATA/sentfin/SEntFiN.csv >$WORK/dev_sentfin.txt
"$FINSENT" eval --model $OUT --head sentiment --data $SENT/sent_valid.csv \
    --label-map 0=negative,1=positive,2=neutral >$WORK/valid_sentiment.txt
"$FINSENT" eval --model $OUT --head topic --data $TOPIC/topic_valid.csv >$WORK/valid_topic.txt
describe_machine
write_card models/default.card.md $OUT/MODEL_CARD.md
cat $WORK/valid_sentiment.txt $WORK/valid_topic.txt
echo "make_model: wrote $OUT" >&2
