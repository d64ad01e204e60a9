/* train_config — the training config's schema; see train_config.h. */
#include "train/train_config.h"

#include <stdio.h>
#include <string.h>

#include "classify/ngram.h"

/* ---- config schema ------------------------------------------------------------ */

#define F(st, m) CFG_AT(st, m)
static const cfg_field head_fields[] = {
    {.key = "name", .type = CFG_STRING, .flags = CFG_REQUIRED, F(train_head_cfg, name)},
    {.key = "labels", .type = CFG_STRING_ARRAY, .flags = CFG_REQUIRED | CFG_MIN, .min = 2, F(train_head_cfg, labels)},
};
static const cfg_schema head_schema = CFG_SCHEMA("head", train_head_cfg, head_fields, NULL, NULL);

static const char *const data_formats[] = {"plain", "sentfin", NULL};

static const cfg_field data_fields[] = {
    {.key = "path", .type = CFG_STRING, .flags = CFG_REQUIRED, F(train_data_cfg, path)},
    {.key = "head", .type = CFG_STRING, .flags = CFG_REQUIRED, F(train_data_cfg, head)},
    {.key = "text", .type = CFG_STRING, .def = "text", F(train_data_cfg, text)},
    {.key = "label", .type = CFG_STRING, .def = "label", F(train_data_cfg, label)},
    {.key = "format", .type = CFG_ENUM, .def = "plain", .enums = data_formats, F(train_data_cfg, format)},
    {.key = "domain", .type = CFG_STRING, .def = "main", F(train_data_cfg, domain)},
};
static const cfg_schema data_schema = CFG_SCHEMA("data", train_data_cfg, data_fields, NULL, NULL);

static const cfg_field model_fields[] = {
    {.key = "hidden", .type = CFG_INT, .def = "128", .flags = CFG_MIN | CFG_MAX, .min = 2, .max = 4096,
     F(train_model_cfg, hidden)},
    {.key = "layers", .type = CFG_INT, .def = "2", .flags = CFG_MIN | CFG_MAX, .min = 0, .max = 48,
     F(train_model_cfg, layers)},
    {.key = "heads", .type = CFG_INT, .def = "2", .flags = CFG_MIN | CFG_MAX, .min = 1, .max = 64,
     F(train_model_cfg, heads)},
    {.key = "intermediate", .type = CFG_INT, .def = "512", .flags = CFG_MIN | CFG_MAX, .min = 1, .max = 16384,
     F(train_model_cfg, intermediate)},
    {.key = "dropout", .type = CFG_NUMBER, .def = "0.1", .flags = CFG_MIN | CFG_MAX, .min = 0, .max = 0.9,
     F(train_model_cfg, dropout)},
};
static int check_model(void *obj, const cJSON *json, cfg_ctx *ctx) {
    (void)json;
    train_model_cfg *m = obj;
    if (m->hidden % m->heads) return cfg_fail(ctx, "hidden", "a multiple of heads (%d), got %d", m->heads, m->hidden);
    return 0;
}
static const cfg_schema model_schema = CFG_SCHEMA("model", train_model_cfg, model_fields, NULL, check_model);

static const char *const schedules[] = {"linear", "cosine", "constant", NULL};
static const char *const objectives[] = {"encoder", "ngram", NULL};
static const char *const pretrain_objectives[] = {"mlm", "electra", NULL};

static const cfg_field root_fields[] = {
    {.key = "out", .type = CFG_STRING, .flags = CFG_REQUIRED, F(train_cfg, out)},
    {.key = "vocab", .type = CFG_STRING, .flags = CFG_REQUIRED, F(train_cfg, vocab)},
    {.key = "init_from", .type = CFG_STRING, F(train_cfg, init_from)},
    {.key = "cased", .type = CFG_BOOL, .def = "false", F(train_cfg, cased)},
    {.key = "f16", .type = CFG_BOOL, .def = "false", F(train_cfg, f16)},
    {.key = "max_len", .type = CFG_INT, .def = "64", .flags = CFG_MIN | CFG_MAX, .min = 4, .max = 512,
     F(train_cfg, max_len)},
    {.key = "model", .type = CFG_OBJECT, .sub = &model_schema, F(train_cfg, model)},
    {.key = "heads", .type = CFG_OBJECT_ARRAY, .flags = CFG_REQUIRED | CFG_MIN | CFG_MAX, .min = 1, .max = TRAIN_MAX_HEADS,
     .sub = &head_schema, F(train_cfg, heads)},
    {.key = "data", .type = CFG_OBJECT_ARRAY, .flags = CFG_REQUIRED | CFG_MIN, .min = 1, .sub = &data_schema,
     F(train_cfg, data)},
    {.key = "unlabelled", .type = CFG_STRING_ARRAY, .def = "[]", F(train_cfg, unlabelled)},
    {.key = "pretrain_steps", .type = CFG_INT, .def = "0", .flags = CFG_MIN, .min = 0, F(train_cfg, pretrain_steps)},
    {.key = "checkpoint_every", .type = CFG_INT, .def = "1000", .flags = CFG_MIN, .min = 1,
     F(train_cfg, checkpoint_every)},
    {.key = "pretrain_stop_at", .type = CFG_INT, .def = "0", .flags = CFG_MIN, .min = 0, F(train_cfg, pretrain_stop_at)},
    {.key = "pretrain_objective", .type = CFG_ENUM, .def = "mlm", .enums = pretrain_objectives,
     F(train_cfg, pretrain_objective)},
    {.key = "whole_word_mask", .type = CFG_BOOL, .def = "false", F(train_cfg, whole_word_mask)},
    {.key = "electra_gen_layers", .type = CFG_INT, .def = "1", .flags = CFG_MIN | CFG_MAX, .min = 0, .max = 48,
     F(train_cfg, electra_gen_layers)},
    {.key = "electra_gen_intermediate", .type = CFG_INT, .def = "256", .flags = CFG_MIN | CFG_MAX, .min = 1,
     .max = 16384, F(train_cfg, electra_gen_intermediate)},
    {.key = "electra_disc_weight", .type = CFG_NUMBER, .def = "50", .flags = CFG_MIN | CFG_MIN_EXCL, .min = 0,
     F(train_cfg, electra_disc_weight)},
    {.key = "mask_prob", .type = CFG_NUMBER, .def = "0.15", .flags = CFG_MIN | CFG_MAX | CFG_MIN_EXCL, .min = 0,
     .max = 0.5, F(train_cfg, mask_prob)},
    {.key = "pretrain_lr", .type = CFG_NUMBER, .def = "5e-4", .flags = CFG_MIN | CFG_MIN_EXCL, .min = 0,
     F(train_cfg, pretrain_lr)},
    {.key = "epochs", .type = CFG_INT, .def = "3", .flags = CFG_MIN, .min = 0, F(train_cfg, epochs)},
    {.key = "batch_tokens", .type = CFG_INT, .def = "2048", .flags = CFG_MIN, .min = 16, F(train_cfg, batch_tokens)},
    {.key = "max_steps", .type = CFG_INT, .def = "0", .flags = CFG_MIN, .min = 0, F(train_cfg, max_steps)},
    {.key = "lr", .type = CFG_NUMBER, .def = "1e-4", .flags = CFG_MIN | CFG_MIN_EXCL, .min = 0, F(train_cfg, lr)},
    {.key = "warmup", .type = CFG_NUMBER, .def = "0.06", .flags = CFG_MIN | CFG_MAX, .min = 0, .max = 1,
     F(train_cfg, warmup)},
    {.key = "weight_decay", .type = CFG_NUMBER, .def = "0.01", .flags = CFG_MIN, .min = 0, F(train_cfg, weight_decay)},
    {.key = "clip", .type = CFG_NUMBER, .def = "1.0", .flags = CFG_MIN, .min = 0, F(train_cfg, clip)},
    {.key = "dev_fraction", .type = CFG_NUMBER, .def = "0.1", .flags = CFG_MIN | CFG_MAX, .min = 0, .max = 0.9,
     F(train_cfg, dev_fraction)},
    {.key = "schedule", .type = CFG_ENUM, .def = "linear", .enums = schedules, F(train_cfg, schedule)},
    {.key = "seed", .type = CFG_INT, .def = "42", F(train_cfg, seed)},
    {.key = "objective", .type = CFG_ENUM, .def = "encoder", .enums = objectives, F(train_cfg, objective)},
    {.key = "ngram_buckets", .type = CFG_INT, .def = "262144", .flags = CFG_MIN | CFG_MAX, .min = 1,
     .max = NGRAM_MAX_BUCKETS, F(train_cfg, ngram_buckets)},
    {.key = "ngram_max_order", .type = CFG_INT, .def = "2", .flags = CFG_MIN | CFG_MAX, .min = 1,
     .max = NGRAM_MAX_ORDER, F(train_cfg, ngram_max_order)},
    {.key = "ngram_char_min", .type = CFG_INT, .def = "0", .flags = CFG_MIN | CFG_MAX, .min = 0,
     .max = NGRAM_MAX_CHAR_ORDER, F(train_cfg, ngram_char_min)},
    {.key = "ngram_char_max", .type = CFG_INT, .def = "0", .flags = CFG_MIN | CFG_MAX, .min = 0,
     .max = NGRAM_MAX_CHAR_ORDER, F(train_cfg, ngram_char_max)},
    {.key = "ngram_iters", .type = CFG_INT, .def = "300", .flags = CFG_MIN, .min = 1, F(train_cfg, ngram_iters)},
    {.key = "ngram_c_min", .type = CFG_NUMBER, .def = "0.5", .flags = CFG_MIN | CFG_MIN_EXCL, .min = 0,
     F(train_cfg, ngram_c_min)},
    {.key = "ngram_c_max", .type = CFG_NUMBER, .def = "32", .flags = CFG_MIN | CFG_MIN_EXCL, .min = 0,
     F(train_cfg, ngram_c_max)},
    {.key = "ngram_mix_max", .type = CFG_NUMBER, .def = "4", .flags = CFG_MIN | CFG_MAX, .min = 0, .max = 100,
     F(train_cfg, ngram_mix_max)},
    {.key = "ngram_balanced", .type = CFG_BOOL, .def = "false", F(train_cfg, ngram_balanced)},
    {.key = "ngram_refit", .type = CFG_BOOL, .def = "false", F(train_cfg, ngram_refit)},
    {.key = "ngram_drop_unseen", .type = CFG_BOOL, .def = "false", F(train_cfg, ngram_drop_unseen)},
};

static int check_root(void *obj, const cJSON *json, cfg_ctx *ctx) {
    (void)json;
    train_cfg *c = obj;
    if (c->objective == TRAIN_OBJECTIVE_NGRAM && !c->init_from)
        return cfg_fail(ctx, "init_from", "the trained encoder model (objective \"ngram\" adds to it)");
    if ((c->ngram_char_min == 0) != (c->ngram_char_max == 0) || c->ngram_char_max < c->ngram_char_min)
        return cfg_fail(ctx, "ngram_char_max", "expected ngram_char_min <= ngram_char_max, both 0 for no character "
                        "n-grams, got %d and %d", c->ngram_char_min, c->ngram_char_max);
    if (c->ngram_c_max < c->ngram_c_min)
        return cfg_fail(ctx, "ngram_c_max", "at least ngram_c_min (%g), got %g", c->ngram_c_min, c->ngram_c_max);
    for (size_t i = 0; i < c->data.n; i++) {
        int found = 0;
        for (size_t h = 0; h < c->heads.n; h++) found |= strcmp(c->heads.v[h].name, c->data.v[i].head) == 0;
        if (!found) {
            char rel[32];
            snprintf(rel, sizeof rel, "data[%zu].head", i);
            return cfg_fail(ctx, rel, "the name of a head in \"heads\", got \"%s\"", c->data.v[i].head);
        }
    }
    return 0;
}

const cfg_schema train_cfg_schema = CFG_SCHEMA("training config", train_cfg, root_fields, NULL, check_root);
