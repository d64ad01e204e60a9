#!/bin/sh
# compare_pretraining.sh — issue 18's comparison of pre-training objectives
# at equal compute, on dev only (never the valid files):
#   1. finsent vocab build   8k WordPiece over all the text there is (training tweets,
#                            StockNet tweets, MAEC earnings-call sentences)
#   2. per objective ARM (mlm, wwm: whole-word MLM, electra):
#        finsent train --config configs/issue18/pretrain-ARM.json   pre-training on the
#                            same texts plus the SEntFiN training headlines
#        finsent train --config configs/issue18/finetune-ARM.json   two heads, best epoch by
#                            the dev criterion (tweets and headlines)
#        scripts/model_figures.sh   the fine-tuned encoder on tweet and headline dev
#   3. build/issue18/compare.md: one row per objective, with pre-training CPU time
# Equal compute: ELECTRA's step costs about 1.3 MLM steps (generator and token
# head), so its config has 790 steps against MLM's 1,000 (the CPU seconds
# each run logs are in the table). Every stage resumes from its checkpoint
# when rerun; everything goes to build/issue18/.
#
#   nice -n 19 scripts/compare_pretraining.sh [ARM...]     (default: mlm wwm electra)
set -eu
DATA=../shared/data
WORK=build/issue18
FINSENT=${FINSENT:-build/finsent}
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
ARMS=${*:-mlm wwm electra}
mkdir -p $WORK
[ -s $WORK/vocab.txt ] ||
    "$FINSENT" vocab build --input $DATA/twitter-financial-news-sentiment/sent_train.csv \
        --input $DATA/twitter-financial-news-topic/topic_train.csv --input $DATA/unlabelled/stocknet_tweets.txt \
        --input $DATA/unlabelled/maec_earnings_calls.txt --size 8000 --out $WORK/vocab.txt
for arm in $ARMS; do
    "$FINSENT" train --config configs/issue18/pretrain-$arm.json 2>>$WORK/$arm.log
    "$FINSENT" train --config configs/issue18/finetune-$arm.json 2>>$WORK/$arm-ft.log
    FINSENT="$FINSENT" scripts/model_figures.sh $WORK/$arm-ft $WORK/figures-$arm >/dev/null
done
{
    echo "| objective | pre-training steps | pre-training CPU s | dev sentiment tweets | dev topic tweets | dev headlines | dev criterion |"
    echo "|---|---|---|---|---|---|---|"
    for arm in $ARMS; do
        f=$WORK/figures-$arm/figures.md
        steps=$(jq -r .pretrain_steps configs/issue18/pretrain-$arm.json)
        cpu=$(sed -n 's/.*"msg":"pre-training: steps [0-9-]* in [0-9]* s wall, \([0-9]*\) s CPU.*/\1/p' $WORK/$arm.log |
            awk '{ s += $1 } END { print s }')
        printf '| %s | %s | %s |' "$arm" "$steps" "$cpu"
        awk -F'|' '/^\| dev/ { printf " %s |", $3 } /criterion/ { gsub(/\*/, "", $3); printf " %s |\n", $3 }' "$f"
    done
} >$WORK/compare.md
cat $WORK/compare.md
