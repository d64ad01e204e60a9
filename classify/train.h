/* train — the training loop behind `finsent train --config FILE`.
 *
 * Reads labelled CSV / JSONL files (each file feeds one head), splits a dev
 * set off deterministically by a hash of the text, optionally pre-trains
 * with masked-language modelling (15% of tokens: 80% [MASK], 10% random, 10%
 * kept) on the training texts and unlabelled text files, then fine-tunes
 * the heads with AdamW (an example trains only the head it is labelled
 * for), evaluates on the dev set after each epoch, keeps the best model by
 * mean dev macro-F1 in `out`, and writes a resumable checkpoint to
 * `out/checkpoint` after every epoch and every `checkpoint_every`
 * pre-training steps. Batches hold whole sequences up to a token budget.
 *
 * With init_from (a Hugging Face BERT model directory, or one of finsent's),
 * the shape comes from its config.json (the "model" block is ignored), its
 * tensors are loaded by name, and heads it lacks start from random.
 *
 * Determinism: every random choice comes from PCG32 streams seeded by
 * `seed` and the epoch or pre-training step, so a run resumed from a
 * checkpoint ends with the same weights as one that was never stopped.
 *
 * "objective": "ngram" runs the n-gram stage instead (ngram_train.h): the
 * same data and dev split, init_from the trained encoder model. */
#ifndef FINSENT_TRAIN_H
#define FINSENT_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/cfgschema.h"

typedef struct train_head_cfg {
    char *name;
    cfg_strv labels; /* label names in id order */
} train_head_cfg;

typedef struct train_data_cfg {
    char *path;  /* .csv (header row) or .jsonl */
    char *head;  /* the head its labels train */
    char *text;  /* text column / key */
    char *label; /* label column / key: an id or a label name */
    int format;  /* TRAIN_FORMAT_PLAIN, or TRAIN_FORMAT_SENTFIN: SEntFiN.csv, headline
                    labels from its Decisions column (classify/sentfin.h) */
} train_data_cfg;

enum { TRAIN_FORMAT_PLAIN, TRAIN_FORMAT_SENTFIN };
enum { TRAIN_OBJECTIVE_ENCODER, TRAIN_OBJECTIVE_NGRAM };

#define TRAIN_MAX_HEADS 8

typedef struct train_model_cfg {
    int hidden, layers, heads, intermediate;
    double dropout;
} train_model_cfg;

typedef struct train_cfg {
    char *out, *vocab, *init_from;
    bool cased, f16;
    int max_len;
    train_model_cfg model;
    CFG_ARRAY(train_head_cfg) heads;
    CFG_ARRAY(train_data_cfg) data;
    cfg_strv unlabelled; /* text files, one text per line, for pre-training */
    int pretrain_steps, checkpoint_every;
    double mask_prob, pretrain_lr;
    int epochs, batch_tokens, max_steps;
    double lr, warmup, weight_decay, clip, dev_fraction;
    int schedule; /* 0 linear, 1 cosine, 2 constant */
    int64_t seed;
    int objective; /* TRAIN_OBJECTIVE_ENCODER, or _NGRAM: the n-gram stage (ngram_train.h) */
    int ngram_buckets, ngram_max_order, ngram_iters;
    int ngram_char_min, ngram_char_max; /* character n-gram orders; 0 0: none */
    double ngram_c_min, ngram_c_max, ngram_mix_max;
    bool ngram_balanced;
    bool ngram_refit; /* fit the chosen C once more on train + dev */
} train_cfg;

extern const cfg_schema train_cfg_schema;

/* Runs the whole training described by c. Progress goes to stderr. Returns
 * 0, or -1 with one line naming the failing file or setting in err (a bad
 * data row: file and line). */
int train_run(const train_cfg *c, char *err, size_t errlen);

/* The dev-split decision for a text: FNV-1a 64 of its bytes, modulo 10000,
 * below fraction * 10000. */
int train_is_dev(const char *text, size_t len, double fraction);

#endif
