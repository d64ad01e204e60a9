/* explain_faith — is classify/explain faithful to the model? ERASER's
 * comprehensiveness (DeYoung et al. 2020) on the project's own dev texts.
 *
 * For every dev text the model calls negative (and that has at least
 * XF_MIN_WORDS words), the words are explained toward "negative"
 * (explain.h); then the text is classified again (the whole model:
 * encoder and n-gram part) once with its XF_TOP highest-weighted words
 * deleted and XF_DRAWS times with XF_TOP words drawn at random deleted
 * (each word's bytes replaced by a space, xp_delete_words). A faithful
 * explanation names words whose removal costs p(negative) more than
 * removing as many random words: a text counts as a win when the top
 * deletion's drop of p(negative) beats the mean drop of the random ones.
 *
 * Used by `finsent bench explain` (the share and the mean drops) and by
 * tests/unit/test_explain.c (a floor on the share, on a sample). */
#ifndef FINSENT_EXPLAIN_FAITH_H
#define FINSENT_EXPLAIN_FAITH_H

#include <stddef.h>
#include <stdint.h>

#include "classify/classifier.h"

#define XF_TOP 3       /* words deleted */
#define XF_DRAWS 5     /* random deletions per text */
#define XF_MIN_WORDS 6 /* shorter texts are left out: their random draws overlap the top words too often */

typedef struct xf_texts {
    char **v;
    int n, cap;
} xf_texts;

/* The dev split of the sentiment head's data files in training config
 * cfg_path (configs/train-default.json): texts for which train_is_dev
 * holds with the config's dev_fraction, in file order. A data path that
 * starts with "../shared/data/" is read under data_dir instead when
 * data_dir is not NULL. Returns 0; 1 when a data file does not exist
 * (err names it: callers skip); -1 with one line in err on a bad config
 * or an unreadable file. */
int xf_dev_texts(const char *cfg_path, const char *data_dir, xf_texts *out, char *err, size_t errlen);
void xf_texts_free(xf_texts *t);

typedef struct xf_result {
    int texts;               /* negative texts scored */
    int negative;            /* texts the model calls negative (with max_texts: among those classified,
                                until twice max_texts were found) */
    int short_texts;         /* of those, left out for fewer than XF_MIN_WORDS words */
    int wins;                /* top deletion dropped p(negative) more than the random ones' mean */
    double share;            /* wins / texts */
    double mean_drop_top;    /* mean drop of p(negative), top words deleted */
    double mean_drop_random; /* mean drop, random words deleted (mean of the draws) */
    double explain_seconds;  /* time inside xp_explain */
    double explain_cpu;      /* the same, CPU time of the thread (OpenBLAS at 1 thread runs on it) */
    double words_per_text;   /* mean words of the scored texts */
} xf_result;

/* Classifies texts[0..n) with c, then scores the first max_texts (0: all)
 * negative ones as above, random draws from seed. Returns 0, or -1 with
 * one line in err (a model without a negative sentiment label). */
int xf_measure(classifier *c, const char *const *texts, int n, int max_texts, uint64_t seed, xf_result *r, char *err,
               size_t errlen);

#endif
