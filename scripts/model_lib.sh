# model_lib.sh — shell functions shared by the model scripts (make_model.sh,
# make_model_zh.sh); sourced, with WORK (the build folder), OUT (the model
# folder), FINSENT and NICE (the training's niceness) set.

# write_card TEMPLATE OUT: TEMPLATE with each line @@name@@ replaced by the
# contents of $WORK/name.txt, into OUT
write_card() {
    awk -v dir="$WORK" '/^@@[a-z_]+@@$/ { f = dir "/" substr($0, 3, length($0) - 4) ".txt"
                                          while ((getline l < f) > 0) print l; close(f); next } { print }' \
        "$1" >"$2"
}

# step NAME COMMAND...: runs the command and adds a row "| NAME | wall time |"
# to $WORK/times.txt
step() {
    name=$1; shift
    t0=$(date +%s)
    "$@"
    t=$(( $(date +%s) - t0 ))
    printf '| %s | %dm%02ds |\n' "$name" $((t / 60)) $((t % 60)) >>"$WORK/times.txt"
    echo "$(basename "$0" .sh): $name took $((t / 60))m$((t % 60))s" >&2
}

# ngram_stage CONFIG: the n-gram stage of `finsent train` (niced), timed as
# step "ngram"; its log (the dev search per C, the choice, the refit) goes
# to $WORK/ngram.log and its choices to $WORK/ngram_selection.txt for the card
ngram_stage() {
    step ngram sh -c "nice -n $NICE '$FINSENT' train --config '$1' 2>'$WORK/ngram.log'" ||
        { tail -n 5 "$WORK/ngram.log" >&2; exit 1; }
    sed -n 's/.*"msg":"\(ngram [a-z]*: \)/\1/p' "$WORK/ngram.log" | sed 's/"}$//' >"$WORK/ngram_selection.txt"
}

# ship SRC: copies the model files of SRC into $OUT
ship() {
    for f in model.safetensors config.json vocab.txt tokenizer_config.json dev_report.json; do
        cp "$1/$f" "$OUT/$f"
    done
}

# describe_machine: $WORK/machine.txt (kernel, cores, BLAS threads) and
# $WORK/size.txt (the size of $OUT on disk) for the card
describe_machine() {
    uname -srm >"$WORK/machine.txt"
    echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS" >>"$WORK/machine.txt"
    du -sh "$OUT" | cut -f1 >"$WORK/size.txt"
}
