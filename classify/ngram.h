/* ngram — the "wide" half of a wide-and-deep classifier: hashed word
 * n-gram TF-IDF features and a linear layer per head whose logits are
 * added, scaled by a mixing weight, to the encoder head's logits.
 *
 * Features of a text: the tokenizer's basic tokens (tok_words: cleaned,
 * lower-cased words and punctuation marks, before WordPiece); every n-gram
 * of the configured orders (words joined by one space) hashed with FNV-1a
 * 64 into `buckets` buckets (hash modulo buckets); optionally also every
 * character n-gram of the configured char orders inside each word padded
 * with one space on either side (" word ": code points, as scikit-learn's
 * char_wb analyzer), hashed the same way after a 0x01 byte so that they do
 * not share hashes with words; per bucket the sublinear
 * term frequency 1 + ln(count) times the bucket's IDF; the vector then
 * L2-normalised. IDF is smoothed as in scikit-learn: ln((1 + docs) /
 * (1 + df)) + 1, learnt on the training texts (ngram_train.h).
 *
 * For head h with labels j: logits[j] += mix_h * (b[j] + w[j] . x). A
 * model directory carries this part as safetensors tensors
 * finsent.ngram.idf [buckets], finsent.ngram.<head>.weight [labels,
 * buckets] and finsent.ngram.<head>.bias [labels], and a config.json key
 *   "finsent_ngram": {"buckets": B, "orders": [1, 2], "char_orders": [3, 4, 5],
 *                     "heads": [{"name": "sentiment", "mix": 1.3}, ...]}
 * ("char_orders" optional: absent or empty, no character n-grams).
 * A directory without the key is a plain encoder model (ngram_load gives
 * NULL). */
#ifndef FINSENT_NGRAM_H
#define FINSENT_NGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "classify/model_config.h"
#include "classify/tokenizer.h"

#define NGRAM_MAX_ORDER 3
#define NGRAM_MAX_BUCKETS (1 << 24)
#define NGRAM_MAX_CHAR_ORDER 8

/* Character n-gram hashes start with this byte (never in a word). */
#define NGRAM_CHAR_MARK "\x01"

typedef struct ngram_settings {
    int buckets;                  /* 1..NGRAM_MAX_BUCKETS */
    int n_orders;                 /* 1..NGRAM_MAX_ORDER */
    int orders[NGRAM_MAX_ORDER];  /* distinct, each 1..NGRAM_MAX_ORDER */
    int n_char_orders;            /* 0..NGRAM_MAX_CHAR_ORDER; 0: none */
    int char_orders[NGRAM_MAX_CHAR_ORDER]; /* distinct, each 1..NGRAM_MAX_CHAR_ORDER */
} ngram_settings;

/* One n-gram of a text (ngram_vec.track): its bucket and the words it
 * was made of, first .. first + n_words - 1 in tok_words order (a
 * character n-gram: n_words 1, the word it lies in). */
typedef struct ngram_occ {
    int32_t bucket, first, n_words;
} ngram_occ;

/* A sparse feature vector (buckets ascending, no repeats) and the scratch
 * that builds it. Zero-initialise; free with ngram_vec_free. */
typedef struct ngram_vec {
    int n;           /* non-zero entries */
    int32_t *idx;    /* (n) buckets */
    float *val;      /* (n) values */
    int cap;
    int track;       /* set by the caller: ngram_count also lists every n-gram in occ */
    ngram_occ *occ;  /* (n_occ) with track, in hashing order */
    int n_occ, occ_cap;
    char *wb;        /* the text's words back to back */
    size_t wb_len, wb_cap;
    size_t *woff;    /* word i is wb[woff[i]..woff[i+1]) */
    int nw, woff_cap;
    size_t *cpos;    /* code point starts of one padded word (char n-grams) */
    int cpos_cap;
    char *pad;       /* one padded word */
    size_t pad_cap;
} ngram_vec;

void ngram_vec_free(ngram_vec *v);

/* Bucket counts of text[0..len): v->idx the buckets hit, v->val how many
 * n-grams fell in each (as floats). t supplies the basic tokenization. */
void ngram_count(tokenizer *t, const ngram_settings *s, const char *text, size_t len, ngram_vec *v);

/* Turns counts into features in place: val = (1 + ln val) * idf[idx], then
 * the vector is scaled to unit L2 norm (left alone when all zero). */
void ngram_weigh(ngram_vec *v, const float *idf);

/* ngram_count then ngram_weigh. */
void ngram_features(tokenizer *t, const ngram_settings *s, const float *idf, const char *text, size_t len,
                    ngram_vec *v);

/* Smoothed IDF of a bucket seen in df of docs texts. */
float ngram_idf(long df, long docs);

/* The n-gram part of a model. */
typedef struct ngram_head {
    char *name;
    int head;      /* index of the model head it adds to */
    int n_labels;
    float mix;     /* its logits are scaled by this before the sum; >= 0 */
    float *w;      /* (n_labels, buckets) */
    float *b;      /* (n_labels) */
} ngram_head;

typedef struct ngram_model {
    ngram_settings s;
    float *idf;    /* (buckets) */
    int n_heads;
    ngram_head *heads;
} ngram_model;

/* Loads the n-gram part of dir (config.json's "finsent_ngram" and the
 * finsent.ngram.* tensors of model.safetensors) for a model whose config
 * is cfg. Returns 0 with *out NULL when config.json has no "finsent_ngram";
 * 0 with *out set (owned by the caller, ngram_free) when it loads; -1 with
 * one line in err naming the file and the key or tensor on a bad setting,
 * an unknown head, a missing tensor, a wrong shape or dtype. */
int ngram_load(const char *dir, const model_config *cfg, ngram_model **out, char *err, size_t errlen);

/* ngram_load with the two files named (the fuzz target's entry):
 * config_path for config.json, st_pathname for model.safetensors, which
 * is only opened when the config has "finsent_ngram". */
int ngram_load_files(const char *config_path, const char *st_pathname, const model_config *cfg, ngram_model **out,
                     char *err, size_t errlen);

/* Writes m into dst as a copy of model directory src (src may equal dst):
 * model.safetensors with src's tensors (old finsent.ngram.* ones dropped)
 * plus m's, in F16 when every tensor of src is F16 and F32 otherwise;
 * config.json with "finsent_ngram" set; vocab.txt, tokenizer_config.json
 * and dev_report.json copied when present. Returns 0, or -1 with one line
 * in err naming the file. */
int ngram_save(const ngram_model *m, const char *src, const char *dst, char *err, size_t errlen);

/* A model with settings s and zero weights for heads named names[i] with
 * n_labels[i] labels (head index i), mix 1. Never NULL. */
ngram_model *ngram_new(const ngram_settings *s, int n_heads, const char *const *names, const int *n_labels);

void ngram_free(ngram_model *m);

/* Logits of head h for features x: out[j] = b[j] + w[j] . x (not mixed). */
void ngram_head_logits(const ngram_model *m, int h, const ngram_vec *x, float *out);

/* Adds every head's mixed logits for x into a model logits row: row[off[
 * head] + j] += mix * logits[j], where off is the model's head_off. */
void ngram_add_logits(const ngram_model *m, const ngram_vec *x, const int *off, float *row);

#endif
