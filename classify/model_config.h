/* model_config — a BERT model's config.json (Hugging Face keys) and the
 * heads finsent reads from it.
 *
 * A plain BertForSequenceClassification config is one head, named by the
 * caller, with labels from "id2label". finsent's multi-head models carry
 * "finsent_heads": [{"name": "topic", "id2label": {"0": ..}}, ...] and
 * tensors classifier.<name>.{weight,bias}. Only absolute position
 * embeddings and the exact (erf) GELU are supported; other settings are
 * rejected with an error naming the file and key. */
#ifndef FINSENT_MODEL_CONFIG_H
#define FINSENT_MODEL_CONFIG_H

#include <stddef.h>

typedef struct mcfg_head {
    char *name;     /* "topic", "sentiment", ... */
    int n_labels;   /* 0 when the config has no id2label: taken from the tensor */
    char **labels;  /* n_labels label strings, index = class id */
} mcfg_head;

typedef struct model_config {
    int hidden_size;        /* C */
    int num_layers;         /* L */
    int num_heads;          /* NH; C % NH == 0 */
    int intermediate_size;  /* I */
    int max_position;       /* max_position_embeddings */
    int type_vocab_size;
    int vocab_size;         /* V */
    float layer_norm_eps;
    int multi_head;         /* 1 when heads came from "finsent_heads" */
    int n_heads;
    mcfg_head *heads;
} model_config;

/* Parses config.json at path. head_name names the single head of a plain
 * checkpoint (NULL: "sentiment"). Returns 0, or -1 with one line in err
 * naming the file and the bad key; cfg is then left empty. */
int mcfg_load(const char *path, const char *head_name, model_config *cfg, char *err, size_t errlen);

/* Fills cfg with the given shape, a 2-label "sentiment" head, max position
 * 512, 2 token types, eps 1e-12: for benchmarks and fresh models. */
void mcfg_init_shape(model_config *cfg, int hidden, int layers, int heads, int intermediate, int vocab);

/* Sets head h's labels to "LABEL_0".."LABEL_{n-1}" (Hugging Face's default). */
void mcfg_default_labels(mcfg_head *h, int n);

/* Frees what cfg owns and zeroes it; safe on a zeroed cfg. */
void mcfg_free(model_config *cfg);

#endif
