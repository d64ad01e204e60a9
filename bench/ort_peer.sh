#!/bin/sh
# ort_peer.sh — finsent's encoder against ONNX Runtime on the same machine,
# the same weights, the same token ids and the same threads; the ratios are
# measured in one run (the two alternate, round after round, so that both
# see the same load). `make bench-ort` runs it.
#
# Installs what the peer needs into $OUT (default build/ort-peer): the npm
# package onnxruntime-node (ORT_VERSION), and exports each model to ONNX
# with tools/export_onnx.py (Debian's python3-torch and python3-onnx), plus
# ONNX Runtime's dynamic int8 form of it. Models:
#   default   models/default (the encoder; its n-gram part is not compared)
#   256x4     hidden 256, 4 layers, 4 heads, intermediate 1024, random weights
#   768x12    bert-base's shape (768, 12 layers, 12 heads, 3072), random weights
# Token ids: for default, the demo feed's texts through its tokenizer; for
# the shapes, random ids in the length mix of `finsent bench classify`
# ("mix": 60% 10-60 tokens, 30% 12-20, 10% 128) and at fixed lengths.
# Sequences are sorted by length and run in batches of 32 (ONNX Runtime's
# padded to the longest of each batch, with the attention mask).
#
# For each case it prints sequences/s (median of the rounds) and peak RSS
# of finsent fp32, finsent int8, ONNX Runtime fp32 and ONNX Runtime int8,
# and the ratios finsent/ORT fp32, finsent int8/ORT fp32, ORT int8/ORT
# fp32, finsent int8/ORT int8 (each the median of the per-round ratios).
# A check first runs finsent and ONNX Runtime on the same 32 sequences of
# the 256x4 model one by one and prints the largest logit difference.
#
# Environment: CASES (default "default:demo 256x4:mix 256x4:16 256x4:64
# 256x4:128 768x12:mix"), THREADS ("1 2"), ROUNDS (3), SECONDS_EACH (3),
# FINSENT (./finsent), OUT, ORT_VERSION. Results also go to $OUT/results.jsonl.
set -eu

FINSENT=${FINSENT:-./finsent}
OUT=${OUT:-build/ort-peer}
ORT_VERSION=${ORT_VERSION:-1.31.1}
CASES=${CASES:-"default:demo 256x4:mix 256x4:16 256x4:64 256x4:128 768x12:mix"}
THREADS=${THREADS:-"1 2"}
ROUNDS=${ROUNDS:-3}
SECONDS_EACH=${SECONDS_EACH:-3}
PY=/usr/bin/python3
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)

die() { echo "ort_peer: $*" >&2; exit 1; }

mkdir -p "$OUT"
[ -x "$FINSENT" ] || die "$FINSENT not found (run make first)"
command -v node >/dev/null && command -v npm >/dev/null || die "node and npm are needed (Debian: nodejs, npm)"
command -v jq >/dev/null || die "jq is needed"
$PY -c 'import torch, onnx' 2>/dev/null ||
    die "PyTorch and onnx for $PY are needed: apt-get install python3-torch python3-onnx"
if [ ! -f "$OUT/node_modules/onnxruntime-node/package.json" ] ||
    [ "$(jq -r .version "$OUT/node_modules/onnxruntime-node/package.json")" != "$ORT_VERSION" ]; then
    echo "installing onnxruntime-node@$ORT_VERSION into $OUT" >&2
    # the CPU binaries ship in the package; skip its download of GPU ones
    ONNXRUNTIME_NODE_INSTALL=skip npm install --prefix "$OUT" --no-audit --no-fund --silent \
        "onnxruntime-node@$ORT_VERSION" >&2
fi
export NODE_PATH="$OUT/node_modules"

# model NAME: the model directory and ONNX files for NAME, made when missing
# or older than the export tool. Prints the model directory.
model() {
    name=$1
    case $name in
    default) dir=$ROOT/models/default; args="--model $dir" ;;
    256x4) dir=$OUT/m256x4; args="--shape 256,4,4,1024 --write-model $dir" ;;
    768x12) dir=$OUT/m768x12; args="--shape 768,12,12,3072 --write-model $dir" ;;
    *) die "unknown model $name" ;;
    esac
    if [ ! -f "$OUT/$name.int8.onnx" ] || [ "$ROOT/tools/export_onnx.py" -nt "$OUT/$name.int8.onnx" ]; then
        echo "exporting $name to ONNX" >&2
        # shellcheck disable=SC2086
        $PY "$ROOT/tools/export_onnx.py" $args --onnx "$OUT/$name.onnx" --int8 "$OUT/$name.int8.onnx" 2>&1 |
            grep -v -i warn >&2 || true
    fi
    echo "$dir"
}

# ids NAME LENGTHS FILE: token ids for a case.
ids() {
    if [ "$2" = demo ]; then
        jq -c '.payload | fromjson? | objects | select((.text // .title) != null) | {id, text: (.text // .title)}' \
            "$ROOT/app/demo/feed.jsonl" >"$OUT/demo_texts.jsonl"
        "$FINSENT" tokenize --vocab "$ROOT/models/default/vocab.txt" --max-len 64 "$OUT/demo_texts.jsonl" >"$3"
        return
    fi
    n=128 # 4 batches of 32 (2 for bert-base's shape): whole passes stay short
    [ "$1" = 768x12 ] && n=64
    awk -v n="$n" -v len="$2" 'BEGIN {
        srand(7)
        for (i = 0; i < n; i++) {
            if (len == "mix") { r = rand(); l = r < 0.6 ? 10 + int(rand() * 51) : r < 0.9 ? 12 + int(rand() * 9) : 128 }
            else l = len
            s = "{\"ids\":[2"
            for (t = 1; t < l - 1; t++) s = s "," 5 + int(rand() * 29995)
            print s ",3]}"
        }
    }' >"$3"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# the same logits: 32 sequences of the 256x4 model, one by one on both sides
dir=$(model 256x4)
awk 'BEGIN { srand(11); for (i = 0; i < 32; i++) { s = ""; l = 1 + int(rand() * 40)
    for (t = 0; t < l; t++) s = s (t ? " " : "") sprintf("w%05d", 5 + int(rand() * 29995))
    printf "{\"id\":%d,\"text\":\"%s\"}\n", i, s } }' >"$OUT/check_texts.jsonl"
"$FINSENT" classify --model "$dir" --batch 1 --logits --tokens "$OUT/check_texts.jsonl" >"$OUT/check.jsonl"
node "$HERE/ort_peer.js" --onnx "$OUT/256x4.onnx" --check "$OUT/check.jsonl"

: >"$OUT/results.jsonl"
printf '%-14s %3s %10s %10s %10s %10s %7s %7s %7s %7s %6s %6s %6s %6s\n' case thr fs_fp32 fs_int8 ort_fp32 \
    ort_int8 fs/ort i8/ort ort8/ort i8/ort8 rss_fs rss_f8 rss_o rss_o8
for c in $CASES; do
    name=${c%%:*} lens=${c#*:}
    dir=$(model "$name")
    idf=$OUT/ids_${name}_$lens.jsonl
    ids "$name" "$lens" "$idf"
    for t in $THREADS; do
        : >"$OUT/rounds.tsv"
        r=0
        while [ $r -lt "$ROUNDS" ]; do
            r=$((r + 1))
            run() { # side quantize -> "seq/s rss"
                if [ "$1" = fs ]; then
                    "$FINSENT" bench classify --model "$dir" --ids "$idf" --threads "$t" --seconds "$SECONDS_EACH" \
                        --quantize "$2" --json
                else
                    onnx=$OUT/$name.onnx
                    [ "$2" = int8 ] && onnx=$OUT/$name.int8.onnx
                    node "$HERE/ort_peer.js" --onnx "$onnx" --ids "$idf" --threads "$t" --seconds "$SECONDS_EACH"
                fi | tee -a "$OUT/results.jsonl" | jq -r '"\(.sequences_per_s) \(.max_rss_mb)"'
            }
            a=$(run fs none) b=$(run ort none) c8=$(run fs int8) d=$(run ort int8)
            echo "$a $c8 $b $d" >>"$OUT/rounds.tsv"
        done
        col() { awk -v k="$1" '{ print $k }' "$OUT/rounds.tsv" | median; }
        rat() { awk -v x="$1" -v y="$2" '{ print $x / $y }' "$OUT/rounds.tsv" | median; }
        printf '%-14s %3s %10.1f %10.1f %10.1f %10.1f %7.2f %7.2f %7.2f %7.2f %6.0f %6.0f %6.0f %6.0f\n' \
            "$name:$lens" "$t" "$(col 1)" "$(col 3)" "$(col 5)" "$(col 7)" "$(rat 1 5)" "$(rat 3 5)" "$(rat 7 5)" \
            "$(rat 3 7)" "$(col 2)" "$(col 4)" "$(col 6)" "$(col 8)"
    done
done
