/* train_config — the training config of `finsent train --config FILE`
 * (its C structs and the cfgschema that loads and checks it), shared by
 * the encoder training (train.h) and the n-gram stage (ngram_train.h). */
#ifndef FINSENT_TRAIN_CONFIG_H
#define FINSENT_TRAIN_CONFIG_H

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
                    labels from its Decisions column (train/sentfin.h) */
    char *domain; /* the register of its texts ("main" by default): dev scores are
                     kept per domain and the model is chosen on their mean
                     (train_data.h's train_dev_weights) */
} train_data_cfg;

enum { TRAIN_FORMAT_PLAIN, TRAIN_FORMAT_SENTFIN };
enum { TRAIN_OBJECTIVE_ENCODER, TRAIN_OBJECTIVE_NGRAM };
enum { TRAIN_PRETRAIN_MLM, TRAIN_PRETRAIN_ELECTRA };

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
    int pretrain_stop_at; /* > 0: stop after this many pre-training steps (checkpointed; a
                             rerun resumes), without changing the schedule of pretrain_steps */
    double mask_prob, pretrain_lr;
    int pretrain_objective; /* TRAIN_PRETRAIN_MLM or _ELECTRA (train/electra.h) */
    bool whole_word_mask;   /* mask whole words, not tokens (train/masking.h) */
    int electra_gen_layers, electra_gen_intermediate;
    double electra_disc_weight;
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
    bool ngram_drop_unseen; /* IDF 0 for buckets no training text has: unseen n-grams weigh nothing */
} train_cfg;

extern const cfg_schema train_cfg_schema;

#endif
