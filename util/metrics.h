/* metrics — Prometheus text exposition (format 0.0.4) built at scrape time.
 *
 * Modules keep their own counters (plain or atomic fields in their structs);
 * the owner of the HTTP endpoint registers collector callbacks that write
 * those values through a metrics_writer when /metrics is scraped. Histograms
 * are the one shared type: fixed buckets, lock-free updates. */
#ifndef FINSENT_METRICS_H
#define FINSENT_METRICS_H

#include <stdint.h>
#include <stdio.h>

#define METRICS_MAX_BUCKETS 16

typedef struct metrics_hist {
    int n_bounds;
    double bounds[METRICS_MAX_BUCKETS];          /* upper bounds, ascending */
    _Atomic uint64_t counts[METRICS_MAX_BUCKETS + 1]; /* last one is +Inf */
    _Atomic uint64_t sum_bits; /* the double sum's bits, updated by CAS */
} metrics_hist;

/* Sets up a histogram with the given ascending upper bounds (at most
 * METRICS_MAX_BUCKETS; extra ones are ignored). Can't fail. */
void metrics_hist_init(metrics_hist *h, const double *bounds, int n);
/* Records one observation; thread-safe, lock-free. */
void metrics_hist_observe(metrics_hist *h, double v);

typedef struct metrics_writer metrics_writer;

/* Writes "# HELP"/"# TYPE" once per name (callers write all series of one
 * name together) and the sample line. labels is "" or a Prometheus label
 * body such as `topic="news",partition="3"` (caller escapes values with
 * metrics_escape). */
void mw_counter(metrics_writer *w, const char *name, const char *help, const char *labels, double v);
void mw_gauge(metrics_writer *w, const char *name, const char *help, const char *labels, double v);
void mw_hist(metrics_writer *w, const char *name, const char *help, const char *labels, const metrics_hist *h);

/* Escapes a label value (backslash, quote, newline) into out (NUL-terminated,
 * truncated to len). */
void metrics_escape(const char *in, char *out, size_t len);

typedef void (*metrics_collect_fn)(metrics_writer *w, void *arg);

/* Runs every collector into a fresh heap string (caller frees). */
char *metrics_render(metrics_collect_fn const *fns, void *const *args, int n);

#endif
