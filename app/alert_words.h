/* alert_words — the explain callback of the alerts engine
 * (alerts/alert_explain.h): an alert's sample texts explained toward the
 * sentiment head's negative label with classify/explain.h. The app wires
 * it (service.c), so that alerts/ never includes classify/.
 *
 * It runs on the thread that drives the alerts engine, with its own
 * explainer (the classifier's weights, its own scratch), beside the
 * classify thread; only for the samples of an alert being sent, never per
 * event. It counts what it costs (aw_collect, and the demo and bench). */
#ifndef FINSENT_ALERT_WORDS_H
#define FINSENT_ALERT_WORDS_H

#include <stdint.h>

#include "alerts/alert_explain.h"
#include "classify/classifier.h"
#include "util/metrics.h"

typedef struct alert_words alert_words;

/* A callback state for c (borrowed; it must outlive the state). NULL when
 * the model has no negative sentiment label (nothing to explain toward). */
alert_words *aw_new(const classifier *c);
void aw_free(alert_words *w);

/* The alerts_explain_fn; ud is an alert_words. Per text, its words that
 * pushed it toward negative, highest first: positive weight of at least a
 * tenth of the top word's, not a punctuation mark alone, cut to
 * AX_WORD_MAX bytes on a UTF-8 boundary. */
int aw_explain(const char *const *texts, int n, ax_word (*words)[AX_WORDS_MAX], int *n_words, void *ud);

typedef struct aw_stats {
    int64_t calls;  /* alerts explained */
    int64_t texts;  /* sample texts explained */
    double seconds;     /* inside aw_explain, wall clock */
    double cpu_seconds; /* the same, CPU time of its thread (less waiting on a busy machine) */
} aw_stats;

/* Thread-safe (read while the engine runs). */
aw_stats aw_get_stats(const alert_words *w);

/* Collector (arg: an alert_words, may be NULL): finsent_alert_explain_*. */
void aw_collect(metrics_writer *mw, void *arg);

#endif
