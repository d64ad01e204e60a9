/* model — a BERT sequence classifier's weights in memory (cls_model) and
 * their loading from a Hugging Face model directory.
 *
 * All parameters live in one F32 buffer (params, n_params floats) in the
 * order cls_model_tensors lists them, so a trainer can treat them as one
 * vector (gradients, Adam moments) and still reach each tensor by pointer.
 * Linear weights keep PyTorch's (out, in) layout: y = x W^T + b.
 *
 * The directory holds model.safetensors (F32, F16 or BF16; converted to F32
 * at load), config.json (see model_config.h) and optionally
 * tokenizer_config.json (do_lower_case, default true). Tensor names are
 * Hugging Face BertForSequenceClassification's, with or without the "bert."
 * prefix and with LayerNorm "gamma"/"beta" accepted for "weight"/"bias".
 * Heads: classifier.{weight,bias} for a plain checkpoint, or
 * classifier.<head>.{weight,bias} for finsent's multi-head models. */
#ifndef FINSENT_MODEL_H
#define FINSENT_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "classify/model_config.h"

/* One encoder layer. C = hidden, I = intermediate. */
typedef struct enc_layer_w {
    float *qkv_w;  /* (3C, C): query rows, then key rows, then value rows */
    float *qkv_b;  /* (3C) */
    float *ao_w;   /* (C, C)  attention.output.dense */
    float *ao_b;   /* (C) */
    float *ln1_w;  /* (C)     attention.output.LayerNorm */
    float *ln1_b;  /* (C) */
    float *i_w;    /* (I, C)  intermediate.dense */
    float *i_b;    /* (I) */
    float *o_w;    /* (C, I)  output.dense */
    float *o_b;    /* (C) */
    float *ln2_w;  /* (C)     output.LayerNorm */
    float *ln2_b;  /* (C) */
} enc_layer_w;

typedef struct cls_head_w {
    float *w; /* (n_labels, C) */
    float *b; /* (n_labels) */
} cls_head_w;

typedef struct cls_model {
    model_config cfg;
    int do_lower_case; /* from tokenizer_config.json; 1 when absent */
    char *dir;         /* model directory, NULL for a random model */
    float *params;     /* all parameters, n_params floats */
    size_t n_params;
    float *word_emb;   /* (V, C) */
    float *pos_emb;    /* (P, C), P = max_position */
    float *type_emb;   /* (TV, C) */
    float *emb_ln_w;   /* (C) */
    float *emb_ln_b;   /* (C) */
    enc_layer_w *layers; /* cfg.num_layers */
    float *pool_w;     /* (C, C) */
    float *pool_b;     /* (C) */
    cls_head_w *heads; /* cfg.n_heads */
    int *head_off;     /* cfg.n_heads: offset of head h's logits in a row */
    int n_out;         /* sum of the heads' label counts: one logits row */
    struct wp_dense *dense; /* NULL until enc_prepare; then each layer's dense
                               weights packed for enc_forward (wpack.h), 4 per
                               layer: qkv, ao, i, o */
} cls_model;

/* One parameter tensor: its canonical Hugging Face name, where it lives and
 * its shape. For q/k/v the three names map into slices of qkv_w/qkv_b. */
typedef struct cls_param {
    char name[96];
    float *data;
    int ndim;
    int64_t shape[2];
    size_t numel;
} cls_param;

/* Loads dir/{config.json, model.safetensors, tokenizer_config.json}.
 * head_name names the single head of a plain checkpoint (NULL: "sentiment").
 * Returns NULL with one line in err naming the file and the tensor or key
 * on any problem (missing or extra-shaped tensors, bad dtype, truncated or
 * corrupt file, bad config). The mapping is closed before returning. */
cls_model *cls_model_load(const char *dir, const char *head_name, char *err, size_t errlen);

/* A model with cfg's shape (cfg is moved into the model and zeroed) and
 * random weights as BERT initialises them: N(0, 0.02) for matrices and
 * embeddings, LayerNorm weight 1 and bias 0, biases 0. Heads with no labels
 * get 2. Deterministic in seed. Never NULL. */
cls_model *cls_model_random(model_config *cfg, uint64_t seed);

void cls_model_free(cls_model *m);

/* The parameter list in buffer order: fills up to cap entries of out and
 * returns the total count (call with cap 0 to size). Names are canonical
 * (with the "bert." prefix; heads as classifier.weight for a plain model,
 * classifier.<head>.weight for a multi-head one). */
int cls_model_tensors(const cls_model *m, cls_param *out, int cap);

/* Index of the head named name, or -1. */
int cls_model_head(const cls_model *m, const char *name);

#endif
