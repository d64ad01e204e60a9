/* train_model — the trainable BERT encoder with classification heads and a
 * masked-language-model head (llm.c style: one contiguous parameter buffer,
 * one for its gradients, activations cached by the forward for the
 * backward), and the writer of the Hugging Face model directory.
 *
 * Tensor names and layouts follow Hugging Face BertForSequenceClassification
 * / BertForPreTraining (Linear weights [out, in] row-major); finsent's heads
 * are `classifier.<name>.weight` [labels, hidden] and `.bias`, listed in
 * config.json under "finsent_heads". The MLM decoder is tied to the word
 * embeddings (only `cls.predictions.bias` is its own).
 *
 * Dropout (hidden_dropout_prob) is applied after the embedding LayerNorm,
 * after the attention output and FFN output projections, and on the pooled
 * output, in training only; attention-probability dropout is not applied. */
#ifndef FINSENT_TRAIN_MODEL_H
#define FINSENT_TRAIN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "train/optim.h"
#include "train/train_layers.h"

#define TM_MAX_HEADS 8

typedef struct tm_head {
    char name[32];
    int n_labels;
    char **labels; /* n_labels strings, owned */
} tm_head;

typedef struct tm_config {
    int vocab_size, hidden, layers, heads, intermediate, max_pos, type_vocab;
    float ln_eps, dropout;
    int mlm;     /* 1: the model has the MLM head */
    int n_heads; /* classification heads */
    tm_head head[TM_MAX_HEADS];
} tm_config;

typedef struct tm_tensor {
    char name[96];
    size_t off, numel; /* in floats, into params/grads */
    int ndim, shape[2];
    int decay; /* 1 for matrices; 0 for biases, LayerNorm, embeddings' LN */
} tm_tensor;

/* A batch: S sequences packed into N tokens, off[S+1] as in train_layers.
 * labels[h][s]: label of sequence s for head h, -1 when unlabelled (that
 * head then ignores it). mlm_labels[t]: the original id of a masked token,
 * -1 elsewhere; NULL when the batch has no MLM objective. */
typedef struct tm_batch {
    int S, N;
    const int *off;
    const int32_t *ids, *pos, *types;
    const int32_t *labels[TM_MAX_HEADS];
    const int32_t *mlm_labels;
} tm_batch;

typedef struct tm_acts tm_acts;

typedef struct tm_model {
    tm_config cfg;
    int ntensors;
    tm_tensor *tensors;
    size_t nparams;
    float *params, *grads;
    tm_acts *acts;
    /* filled by tm_forward: */
    float loss;                   /* sum of the head losses and the MLM loss */
    float head_loss[TM_MAX_HEADS];
    int head_count[TM_MAX_HEADS]; /* labelled examples per head */
    float mlm_loss;
    int mlm_count;
    float *mlm_probs;           /* (mlm_count, vocab_size): the masked tokens' MLM softmax in token order,
                                   owned by acts; NULL without masked tokens */
    float *probs[TM_MAX_HEADS]; /* (S, n_labels) per head, owned by acts */
    float *logits[TM_MAX_HEADS]; /* the same before softmax; tm_backward overwrites them */
} tm_model;

/* Builds the tensor table for cfg and allocates zeroed params and grads; cfg
 * (labels included) is copied. Returns NULL with a message in err when cfg
 * is inconsistent (hidden not a multiple of heads, sizes < 1, no head and no
 * MLM, a head without labels). */
tm_model *tm_new(const tm_config *cfg, char *err, size_t errlen);
void tm_free(tm_model *m);
/* Frees the label strings of a config built by a caller. */
void tm_config_free_labels(tm_config *cfg);

/* Hugging Face initialisation: weights N(0, 0.02) from rng, biases 0,
 * LayerNorm weight 1 / bias 0, the [PAD] (id 0) word embedding row 0. */
void tm_init_weights(tm_model *m, rng_pcg *rng);

/* The tensor of that name; NULL when absent. */
tm_tensor *tm_find(tm_model *m, const char *name);

/* The decay ranges for optim_adamw_step (one per tensor); *n gets the count.
 * The array is owned by the caller (free). */
optim_range *tm_optim_ranges(const tm_model *m, int *n);

/* Forward pass over batch b with loss. train = 1 applies dropout drawn from
 * rng (which may be NULL when train = 0). Sets loss, head_loss, head_count,
 * mlm_loss, mlm_count, probs and logits (heads run when any labels[h] is
 * non-NULL; all -1 labels give predictions without a loss). The batch must stay alive until
 * tm_backward. Token ids, positions and types must be in range. */
void tm_forward(tm_model *m, const tm_batch *b, int train, rng_pcg *rng);
/* Zeroes grads. */
void tm_zero_grad(tm_model *m);
/* Accumulates d(loss)/d(params) of the last tm_forward into grads. */
void tm_backward(tm_model *m);

/* The encoder's output of the last tm_forward: (N, hidden), the last
 * layer's hidden states (owned by the model, valid until the next
 * forward) — for an objective outside the model (train/electra.h). */
const float *tm_hidden(const tm_model *m);
/* tm_backward with dhidden (N, hidden), the gradient of an outside loss
 * with respect to tm_hidden, added to the model's own; NULL: tm_backward. */
void tm_backward_hidden(tm_model *m, const float *dhidden);

/* Writes the model directory dir (created if missing): model.safetensors
 * (F32, or F16 when f16 = 1; written by st_write), config.json (the
 * standard BERT keys plus finsent_heads), vocab.txt copied from vocab_path,
 * tokenizer_config.json with do_lower_case. The MLM head is written only
 * when with_mlm = 1. Files are written to temporary names and renamed, so a
 * crash leaves the old directory whole. Returns 0, or -1 with a message
 * naming the file in err. */
int tm_save_dir(const tm_model *m, const char *dir, const char *vocab_path, int lowercase, int f16, int with_mlm,
                char *err, size_t errlen);

/* Loads the tensors of a safetensors file into the model by name through
 * the one codec (classify/safetensors: the file is validated whole, F32,
 * F16 or BF16, the older names of st_find_alias accepted). strict = 1:
 * every model tensor must be present; strict = 0: tensors the file lacks
 * keep their values (fine-tuning from a checkpoint without finsent's heads
 * or the MLM head) and *loaded gets the count. Tensors of the file the
 * model lacks are ignored. A shape mismatch, a non-float dtype or a
 * corrupt or truncated file is an error. Returns 0, or -1 with a message
 * naming the file (and the tensor) in err. */
int tm_load_safetensors(tm_model *m, const char *path, int strict, int *loaded, char *err, size_t errlen);

#endif
