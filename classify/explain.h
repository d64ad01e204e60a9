/* explain — which words of a text made a classifier choose a label.
 *
 * For a text and, per head, a label to explain (usually the predicted
 * one), every word of the text (tok_word_spans: the basic tokens before
 * WordPiece, with the bytes of the text each came from) gets a weight: what
 * it adds to the label's centred logit z_y - mean_j z_j of the head (the
 * softmax sees only differences of logits, so this is the label's log-odds
 * against the head's average, in nats). Positive pushes toward the label,
 * negative away from it. The weight has two parts, added as the logits
 * are (encoder logits + mix × n-gram logits, classifier.h):
 *
 *  - n-gram part, exact: for each bucket b of the text's feature vector x
 *    (ngram.h), mix · x_b · (w_yb − mean_j w_jb) is shared evenly among the
 *    n-grams of the text that hashed into b, and each n-gram's share evenly
 *    among the words it was made of (a character n-gram belongs to the
 *    word it lies in). The words' n-gram parts plus the centred bias sum to
 *    the n-gram part's centred logit, up to float rounding.
 *  - encoder part, by occlusion (leave one word out: Zeiler & Fergus 2014,
 *    Li, Monroe & Jurafsky 2016; the "comprehensiveness" that ERASER,
 *    DeYoung et al. 2020, scores): the text is encoded again with the
 *    word's bytes replaced by one space, and the part is how much the
 *    encoder's centred logit drops. A word past the max_len tokens the
 *    encoder reads gets 0 (deleting it changes nothing the encoder sees).
 *
 * Words that share one span (tok_word_spans' fallback for a token whose
 * normalisation moved a punctuation split) are one entry, deleted together.
 *
 * Cost, per text of W words and L tokens: one packed encoder run over
 * W + 1 sequences of about L tokens (about W + 1 times the cost of
 * classifying the text; a headline of 12 words: 13 sequences), plus W + 1
 * tokenizations and one pass over the text's n-grams. Nothing is computed
 * for a text that is not explained: callers explain only what they show.
 *
 * An explainer borrows a classifier's weights, vocab and n-gram part (the
 * classifier must outlive it) and owns its tokenizer and encoder scratch:
 * one explainer per thread, independent of the classifier's own thread. */
#ifndef FINSENT_EXPLAIN_H
#define FINSENT_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>

#include "classify/classifier.h"

typedef struct xp_word {
    int32_t start, end; /* the word's bytes in the text: text[start..end) */
    float weight;       /* encoder + ngram */
    float encoder;      /* the occlusion part */
    float ngram;        /* the n-gram part (mixing weight applied) */
} xp_word;

/* The explanation of one label of one head for one text. Zero-initialise;
 * xp_explain reuses its memory; free with xp_result_free. */
typedef struct xp_result {
    int label;         /* the label explained; -1: not asked (n is 0) */
    int n;             /* words, highest weight first (ties: earlier first) */
    xp_word *words;
    int cap;
    float enc_logit;   /* the encoder's centred logit of label on the whole text */
    float ngram_logit; /* the n-gram part's centred logit (mixed); 0 without one */
    float ngram_bias;  /* its centred bias (mixed): the n-gram share no word gets */
} xp_result;

typedef struct explainer explainer;

/* An explainer for c (borrowed). Never NULL. */
explainer *xp_new(const classifier *c);
void xp_free(explainer *x);

/* Explains n texts (texts[i][0..lens[i]), lens NULL: NUL-terminated): for
 * text i and head h, labels[i * H + h] (H = cls_n_heads) is the label to
 * explain, or -1 for none; out[i * H + h] gets its explanation. out holds
 * n * H results (zeroed the first time, reused after). Returns 0, or -1
 * with one line in err when labels name a label the head lacks. */
int xp_explain(explainer *x, const char *const *texts, const size_t *lens, int n, const int *labels, xp_result *out,
               char *err, size_t errlen);

void xp_result_free(xp_result *r);

/* text with the spans of words w[k] for k in pick[0..n_pick) replaced by
 * one space each, into *buf (grown as needed; *cap its size), NUL-
 * terminated; returns its length. Spans may come in any order but must
 * not overlap. What the encoder part deletes, and what faithfulness
 * tests delete. */
size_t xp_delete_words(const char *text, size_t len, const xp_word *w, const int *pick, int n_pick, char **buf,
                       size_t *cap);

#endif
