/* classifier — the classify stage's API: a model directory in, texts in,
 * per-head labels, scores and probabilities out.
 *
 * A classifier bundles the model (model.h), its vocab and tokenizer
 * (tokenizer.h), a padding-free batcher (batch.h) and, when the directory
 * has one, the n-gram part (ngram.h) whose mixed logits are added to the
 * encoder's before the softmax. Either part can be used alone
 * (cls_options.part) to see what each contributes: the encoder part's
 * logits plus the n-gram part's are the whole model's.
 *
 * Thread-safety: a classifier is NOT thread-safe (it owns tokenizer and
 * activation scratch). For several classifying threads, open one and make
 * a cls_clone per extra thread: clones share the read-only weights and
 * vocab and must be closed before the original. The encoder's thread pool
 * is process-wide: cls_open sizes it from opts->threads. */
#ifndef FINSENT_CLASSIFIER_H
#define FINSENT_CLASSIFIER_H

#include <stddef.h>
#include <stdint.h>

#include "classify/model.h"
#include "classify/ngram.h"
#include "classify/tokenizer.h"
#include "util/event.h"
#include "util/labelmap.h"

/* Which part of a wide-and-deep model produces the logits. */
enum cls_part {
    CLS_PART_ALL,     /* encoder logits + mix x n-gram logits (the encoder alone without an n-gram part) */
    CLS_PART_ENCODER, /* the encoder head's logits only; the n-gram part is not loaded */
    CLS_PART_NGRAM,   /* mix x n-gram logits only (the encoder is not run); heads without an
                         n-gram head get zero logits */
};

typedef struct cls_options {
    const char *head_name; /* name of a plain checkpoint's one head; NULL: "sentiment" */
    int threads;           /* encoder threads (enc_set_threads); 0: 1 */
    int max_len;           /* tokens per text incl. [CLS]/[SEP]; 0: max_position, capped at 512 */
    int token_budget;      /* tokens per encoder forward; 0: 4096 */
    const labelmap *labels; /* what sentiment labels mean (borrowed, outlives the classifier); NULL: built-ins */
    int check_sentiment;   /* 1: refuse a model whose sentiment head has no label that means negative
                              (the windows would count nothing as negative) */
    int quantize;          /* 1: the encoder's dense layers in int8 (encoder.h, enc_prepare) */
    int part;              /* enum cls_part; 0: CLS_PART_ALL */
} cls_options;

typedef struct classifier classifier;

/* Loads dir (model.safetensors, config.json, vocab.txt, optional
 * tokenizer_config.json, optional n-gram part). opts may be NULL for defaults. Returns NULL with
 * one line in err naming the file (and tensor or key) on any problem, and
 * when opts->part is CLS_PART_NGRAM for a model without an n-gram part. */
classifier *cls_open(const char *dir, const cls_options *opts, char *err, size_t errlen);
/* A classifier for another thread sharing c's weights and vocab. Never NULL. */
classifier *cls_clone(const classifier *c);
/* Frees c (the weights too when c is not a clone); NULL is a no-op. */
void cls_close(classifier *c);

const cls_model *cls_get_model(const classifier *c);
/* The n-gram part, NULL when the model has none (or part is CLS_PART_ENCODER). */
const ngram_model *cls_get_ngram(const classifier *c);
/* The vocab (shared by clones) and the token count a text is cut to. */
const tok_vocab *cls_get_vocab(const classifier *c);
int cls_max_len(const classifier *c);
int cls_n_heads(const classifier *c);
const char *cls_head_name(const classifier *c, int head);
int cls_head_n_labels(const classifier *c, int head);
const char *cls_head_label(const classifier *c, int head, int label);
/* Index of the head named name, or -1. */
int cls_find_head(const classifier *c, const char *name);
/* The sentiment head: the head named "sentiment", or the only head when
 * the model has one head not named "topic"; -1 when none. */
int cls_sentiment_head(const classifier *c);
/* The label map the classifier was opened with (NULL: built-ins). */
const labelmap *cls_labels(const classifier *c);
/* Tokenizer counters (invalid UTF-8 bytes replaced, texts truncated) since open. */
tok_stats cls_tok_stats(const classifier *c);

#define CLS_TOKENS 1 /* The enum cls_part named s ("all", "encoder", "ngram"), or -1. */
int cls_part_parse(const char *s);

/* cls_classify flag: keep each text's token ids */

/* Results of one cls_classify call; K = the model's n_out (all heads'
 * labels, head h's in columns head_off[h]..). Owned by the caller:
 * free with cls_output_free. */
typedef struct cls_output {
    int n;          /* texts */
    int n_heads;
    int n_out;      /* K */
    int *index;     /* (n, n_heads): argmax label per head (first on ties) */
    float *probs;   /* (n, K): softmax within each head */
    float *logits;  /* (n, K): raw logits of the part asked for (all: encoder plus mixed n-gram logits) */
    int32_t **ids;  /* n token-id arrays with CLS_TOKENS, else NULL */
    int *n_ids;     /* their lengths, NULL without CLS_TOKENS */
} cls_output;

/* Tokenizes and classifies texts[i][0..lens[i]) (lens NULL: NUL-terminated)
 * for i < n into out (overwritten). Any bytes are accepted (invalid UTF-8 is
 * replaced, long texts truncated to max_len). Returns 0; -1 with err only
 * when the vocab yields ids outside the model (cannot happen for a
 * directory cls_open accepted). */
int cls_classify(classifier *c, const char *const *texts, const size_t *lens, int n, int flags, cls_output *out,
                 char *err, size_t errlen);
void cls_output_free(cls_output *out);

/* Probability of text i's label in head h, and that head's probability row. */
float cls_output_score(const cls_output *out, const classifier *c, int i, int head);
const float *cls_output_probs(const cls_output *out, const classifier *c, int i, int head);

/* The sentiment head (the head named "sentiment", or the only head when
 * the model has one head not named "topic") into *head, and its label
 * "negative" or "bearish" (case-insensitive) as the return value; -1
 * when there is no such head or label (*head is then -1 or the head). */
int cls_negative_label(const classifier *c, int *head);

/* Fills events[i]->topic, ->sentiment and ->p_negative from out (text i is
 * events[i]'s). The head named "topic" fills topic; the head named
 * "sentiment" (or the only head, when the model has one head not named
 * "topic") fills sentiment. A score with no head gets index -1, label ""
 * and score 0. p_negative is the sentiment head's probability of its first
 * label that means negative (util/labelmap.h), 0 when it has none. */
void cls_fill_events(const classifier *c, const cls_output *out, event *const *events, int n);

/* cls_classify on events[i]->text then cls_fill_events. Returns 0, or -1
 * with err as cls_classify. */
int cls_score_events(classifier *c, event *const *events, int n, char *err, size_t errlen);

#endif
