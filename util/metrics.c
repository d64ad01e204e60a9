/* metrics — Prometheus text format rendering and histograms; see metrics.h. */
#include "util/metrics.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

struct metrics_writer {
    FILE *f;
    char last_name[128]; /* HELP/TYPE are written once per metric name */
};

void metrics_hist_init(metrics_hist *h, const double *bounds, int n) {
    memset(h, 0, sizeof *h); /* all-zero is a valid initial atomic state */
    if (n > METRICS_MAX_BUCKETS) n = METRICS_MAX_BUCKETS;
    h->n_bounds = n;
    memcpy(h->bounds, bounds, sizeof(double) * (size_t)n);
}

void metrics_hist_observe(metrics_hist *h, double v) {
    int i = 0;
    while (i < h->n_bounds && v > h->bounds[i]) i++;
    h->counts[i]++;
    uint64_t old = h->sum_bits, upd;
    do {
        double d;
        memcpy(&d, &old, sizeof d);
        d += v;
        memcpy(&upd, &d, sizeof upd);
    } while (!atomic_compare_exchange_weak(&h->sum_bits, &old, upd));
}

static double hist_sum(const metrics_hist *h) {
    uint64_t bits = h->sum_bits;
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

static void header(metrics_writer *w, const char *name, const char *help, const char *type) {
    if (strcmp(w->last_name, name) == 0) return;
    snprintf(w->last_name, sizeof w->last_name, "%s", name);
    fprintf(w->f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample(metrics_writer *w, const char *name, const char *suffix, const char *labels, double v) {
    if (labels && *labels)
        fprintf(w->f, "%s%s{%s} %.17g\n", name, suffix, labels, v);
    else
        fprintf(w->f, "%s%s %.17g\n", name, suffix, v);
}

void mw_counter(metrics_writer *w, const char *name, const char *help, const char *labels, double v) {
    header(w, name, help, "counter");
    sample(w, name, "", labels, v);
}

void mw_gauge(metrics_writer *w, const char *name, const char *help, const char *labels, double v) {
    header(w, name, help, "gauge");
    sample(w, name, "", labels, v);
}

void mw_hist(metrics_writer *w, const char *name, const char *help, const char *labels, const metrics_hist *h) {
    header(w, name, help, "histogram");
    uint64_t cum = 0;
    const char *sep = (labels && *labels) ? "," : "";
    for (int i = 0; i <= h->n_bounds; i++) {
        cum += h->counts[i];
        char le[32];
        if (i < h->n_bounds)
            snprintf(le, sizeof le, "%g", h->bounds[i]);
        else
            snprintf(le, sizeof le, "+Inf");
        fprintf(w->f, "%s_bucket{%s%sle=\"%s\"} %llu\n", name, labels ? labels : "", sep, le,
                (unsigned long long)cum);
    }
    sample(w, name, "_sum", labels, hist_sum(h));
    sample(w, name, "_count", labels, (double)cum);
}

void metrics_escape(const char *in, char *out, size_t len) {
    size_t j = 0;
    for (; *in && j + 2 < len; in++) {
        if (*in == '\\' || *in == '"') {
            out[j++] = '\\';
            out[j++] = *in;
        } else if (*in == '\n') {
            out[j++] = '\\';
            out[j++] = 'n';
        } else {
            out[j++] = *in;
        }
    }
    out[j] = '\0';
}

char *metrics_render(metrics_collect_fn const *fns, void *const *args, int n) {
    char *buf = NULL;
    size_t len = 0;
    metrics_writer w = {.f = open_memstream(&buf, &len)};
    if (!w.f) return xstrdup("");
    for (int i = 0; i < n; i++) fns[i](&w, args[i]);
    fclose(w.f);
    return buf;
}
