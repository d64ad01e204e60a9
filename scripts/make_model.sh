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
#                            macro-F1 (one domain: the headlines pooled with the tweets)
#   4. finsent train         the n-gram stage (configs/ngram-default.json): hashed word
#                            uni- and bigram and character 3- to 5-gram TF-IDF logistic
#                            regression per head, C and mixing weight chosen on dev,
#                            refitted on train + dev, added to the fine-tuned model
#   5. scripts/model_figures.sh   each part (encoder alone, n-gram part alone, the
#                            whole model) on the dev sets, then — the one valid scoring
#                            of this model — on the valid files; the scoring is appended
#                            to models/valid_ledger.md with the commit it ran on
#   6. models/default/       model.safetensors (F16), config.json, vocab.txt,
#                            tokenizer_config.json, dev_report.json, MODEL_CARD.md
#                            (models/default.card.md with the measured figures)
# Training runs niced with OPENBLAS_NUM_THREADS (default 2). A rerun resumes
# an interrupted training from build/model/*/checkpoint; `rm -rf build/model`
# starts over. FINETUNED=DIR skips the encoder training: the n-gram stage
# runs on DIR and the result is packaged (the encoder stages' times are
# then expected in build/model/times.txt); with NGRAM_DONE=1 too, the
# n-gram stage already in build/model/ngram is packaged. CARD_ONLY=1 only rewrites
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
    cp models/valid_ledger.md $WORK/valid_ledger.txt
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
    [ -n "${NGRAM_DONE:-}" ] || sed -i '/^| ngram /d' $WORK/times.txt
else
: >$WORK/times.txt
step vocab "$FINSENT" vocab build --input $SENT/sent_train.csv --input $TOPIC/topic_train.csv \
    --input $DATA/unlabelled/stocknet_tweets.txt --size 8000 --out $WORK/vocab.txt
step pretrain nice -n 10 "$FINSENT" train --config configs/pretrain-default.json
step pretrain2 nice -n 10 "$FINSENT" train --config configs/pretrain2-default.json
step finetune nice -n 10 "$FINSENT" train --config configs/train-default.json
fi
# its log (the dev search per C, the choice) goes to the card. NGRAM_DONE=1
# packages the n-gram stage already run into $WORK/ngram (with FINETUNED, so
# that a candidate is judged on its dev figures before valid is scored)
if [ -n "${NGRAM_DONE:-}" ]; then
    [ -s $WORK/ngram/model.safetensors ] && [ -s $WORK/ngram.log ] ||
        { echo "make_model: NGRAM_DONE: no $WORK/ngram/model.safetensors or $WORK/ngram.log" >&2; exit 1; }
    sed -n 's/.*"msg":"\(ngram [a-z]*: \)/\1/p' $WORK/ngram.log | sed 's/"}$//' >$WORK/ngram_selection.txt
else
    ngram_stage "$NGRAM_CONFIG"
fi
ship $FT

# each part on dev, and the one valid scoring of this model, recorded with its commit
FINSENT="$FINSENT" scripts/model_figures.sh $OUT $WORK/figures --valid >/dev/null
cp $WORK/figures/figures.md $WORK/figures.txt
for s in dev_sentiment dev_topic dev_headlines valid_sentiment valid_topic; do cp $WORK/figures/$s.txt $WORK/$s.txt; done
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- 2>/dev/null || commit="$commit+uncommitted"
fig() { jq -r '[.accuracy, .["macro avg"].f1] | @tsv' $WORK/figures/$1.json | awk '{ printf "%.4f / %.4f", $1, $2 }'; }
printf '| %s | %s | `make model` | %s | %s | %s | %s |\n' "$(date -u +%Y-%m-%d)" "$commit" "$(fig valid_sentiment.all)" \
    "$(fig valid_topic.all)" "$(fig valid_sentiment.encoder)" "$(fig valid_topic.encoder)" >>models/valid_ledger.md
describe_machine
cp models/valid_ledger.md $WORK/valid_ledger.txt
write_card models/default.card.md $OUT/MODEL_CARD.md
cat $WORK/valid_sentiment.txt $WORK/valid_topic.txt
echo "make_model: wrote $OUT" >&2
