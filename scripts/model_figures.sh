#!/bin/sh
# model_figures.sh — the figures of a model for its card and for model
# choice: `finsent eval --json` of each part (encoder alone, n-gram part
# alone, the whole model; `--part`) on the dev sets — the tweets' dev
# splits (sentiment, topic) and the SEntFiN headlines' dev split — and
# the dev criterion (mean of the tweet dev score, itself the mean of the
# two heads' macro-F1, and the headline dev macro-F1: what `finsent train`
# chooses on). With --valid also the valid files: only `make model`
# passes it, once per shipped model (../shared/data/README.md).
#
#   scripts/model_figures.sh MODEL_DIR OUT_DIR [--valid]
#
# Writes OUT_DIR/<set>.<part>.json, OUT_DIR/<set>.txt (the whole model's
# report as a table) and OUT_DIR/figures.md (a Markdown table: accuracy /
# macro-F1 per set and part, then the criterion). A model
# without an n-gram part gets the encoder column only. Needs jq.
set -eu
MODEL=$1 OUT=$2 VALID=${3:-}
FINSENT=${FINSENT:-build/finsent}
DATA=${DATA:-../shared/data}
SENT=$DATA/twitter-financial-news-sentiment
TOPIC=$DATA/twitter-financial-news-topic
MAP=0=negative,1=positive,2=neutral
mkdir -p "$OUT"
PARTS="encoder ngram all"
grep -q '"finsent_ngram"' "$MODEL/config.json" || PARTS=encoder

SETS="dev_sentiment dev_topic dev_headlines"
[ "$VALID" = --valid ] && SETS="$SETS valid_sentiment valid_topic"
args() { # set: the eval arguments of a set
    case $1 in
    dev_sentiment) echo "--head sentiment --data $SENT/sent_train.csv --split dev --label-map $MAP" ;;
    dev_topic) echo "--head topic --data $TOPIC/topic_train.csv --split dev" ;;
    dev_headlines) echo "--head sentiment --format sentfin --data $DATA/sentfin/SEntFiN.csv" ;;
    valid_sentiment) echo "--head sentiment --data $SENT/sent_valid.csv --label-map $MAP" ;;
    valid_topic) echo "--head topic --data $TOPIC/topic_valid.csv" ;;
    esac
}
for s in $SETS; do
    for p in $PARTS; do
        # shellcheck disable=SC2046
        "$FINSENT" eval --model "$MODEL" --json --part $p $(args $s) >"$OUT/$s.$p.json"
    done
    # shellcheck disable=SC2046
    "$FINSENT" eval --model "$MODEL" $(args $s) >"$OUT/$s.txt" # the whole model's report, as a table
done

cell() { jq -r '[.accuracy, .["macro avg"].f1] | @tsv' "$1" | awk '{ printf "%.4f / %.4f", $1, $2 }'; }
f1() { jq -r '.["macro avg"].f1' "$1"; }
{
    printf '| set (accuracy / macro-F1) |'
    for p in $PARTS; do
        case $p in encoder) printf ' encoder alone |' ;; ngram) printf ' n-gram part alone |' ;; all) printf ' whole model |' ;; esac
    done
    printf '\n|---|'
    for p in $PARTS; do printf -- '---|'; done
    printf '\n'
    for s in $SETS; do
        case $s in
        dev_sentiment) name="dev, sentiment tweets" ;; dev_topic) name="dev, topic tweets" ;;
        dev_headlines) name="dev, SEntFiN headlines (sentiment)" ;;
        valid_sentiment) name="valid, sentiment tweets" ;; valid_topic) name="valid, topic tweets" ;;
        esac
        printf '| %s |' "$name"
        for p in $PARTS; do printf ' %s |' "$(cell "$OUT/$s.$p.json")"; done
        printf '\n'
    done
    printf '| **dev criterion** (mean of tweets and headlines) |'
    for p in $PARTS; do
        awk -v s="$(f1 "$OUT/dev_sentiment.$p.json")" -v t="$(f1 "$OUT/dev_topic.$p.json")" \
            -v h="$(f1 "$OUT/dev_headlines.$p.json")" 'BEGIN { printf " **%.4f** |", ((s + t) / 2 + h) / 2 }'
    done
    printf '\n'
} >"$OUT/figures.md"
cat "$OUT/figures.md"
