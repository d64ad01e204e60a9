/* alert_explain — the words behind an alert: the top words of each sample
 * message and the alert's "why" words.
 *
 * alerts/ does not classify (data flows ingest → classify → alerts): the
 * words of a message come from an explain callback that the app wires into
 * alerts_options (app/alert_words.h uses classify/explain.h). It is called
 * only for the samples of an alert being sent with samples (fired or sent
 * again), never per event. "why" is computed here from what it returns:
 * each word's weights summed over the samples it is a top word of (words
 * compared ASCII case-insensitively), the AX_WHY_MAX largest sums first.
 * The samples are the window's most negative messages (win_config.top_k
 * of them): "why" covers all of the window's negative messages when it has
 * at most top_k, else its top_k most negative ones (the window keeps no
 * other texts, so that the hot path stays allocation-free). */
#ifndef FINSENT_ALERT_EXPLAIN_H
#define FINSENT_ALERT_EXPLAIN_H

#include <stdint.h>

#include "alerts/alert_state.h"

#define AX_WORDS_MAX 3 /* top words per sample message: as many as the faithfulness test deletes */
#define AX_WHY_MAX 5   /* "why" words per alert */
#define AX_WORD_MAX 48 /* bytes of a word kept, cut on a UTF-8 boundary */

/* A word of a sample's text that pushed it toward negative. */
typedef struct ax_word {
    char word[AX_WORD_MAX]; /* text[start..end), cut to fit */
    int32_t start, end;     /* bytes of the sample's text (win_sample.text) */
    float weight;           /* > 0; what it adds to the negative label's logit, nats */
} ax_word;

/* A word of the alert's window, summed over its samples. */
typedef struct ax_why {
    char word[AX_WORD_MAX]; /* lower-cased (ASCII letters) */
    float weight;           /* sum of its weights over the samples */
    int messages;           /* samples it is a top word of */
} ax_why;

typedef struct alert_explain {
    ax_word words[WIN_TOPK_MAX][AX_WORDS_MAX]; /* per sample, highest weight first */
    int n_words[WIN_TOPK_MAX];
    ax_why why[AX_WHY_MAX]; /* highest weight first (ties: more messages, then the word) */
    int n_why;
} alert_explain;

/* The app's explain callback: for texts[i], i < n, fills words[i] with at
 * most AX_WORDS_MAX words of positive weight toward negative, highest
 * first, and n_words[i] with their count. Returns 0, or -1 when it cannot
 * (the alert is then sent without words). Runs on the thread that calls
 * alerts_add / alerts_tick / alerts_flush. */
typedef int (*alerts_explain_fn)(const char *const *texts, int n, ax_word (*words)[AX_WORDS_MAX], int *n_words,
                                 void *ud);

/* al itself when fn is NULL, al has no samples or fn fails; else *copy,
 * a copy of al whose explain points to *x, filled by fn on al's samples
 * and by the "why" sums. */
const alert *ax_attach(const alert *al, alerts_explain_fn fn, void *ud, alert *copy, alert_explain *x);

/* Sets x->why from x's sample words (n_samples of them). */
void ax_build_why(alert_explain *x, int n_samples);

/* One span to mark in a text: bytes [start, end). */
typedef struct ax_span {
    int32_t start, end;
} ax_span;

/* A copy of text with each span of spans[0..n) wrapped in open and close
 * (e.g. "*" and "*" for Slack's bold); spans in any order; a span out of
 * the text, empty or overlapping one kept before it is skipped. Caller
 * frees. Never NULL. */
char *ax_mark(const char *text, const ax_span *spans, int n, const char *open, const char *close);

#endif
