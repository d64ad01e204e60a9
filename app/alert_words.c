/* alert_words — alert sample words from classify/explain; see
 * alert_words.h. */
#include "app/alert_words.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "classify/explain.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

/* A word is shown when it weighs at least this share of the message's
 * top word: the rest moved the message little. */
#define AW_MIN_SHARE 0.1f

struct alert_words {
    const classifier *c;
    explainer *x; /* made at the first alert: a process that never alerts pays no encoder scratch */
    int head, neg, n_heads;
    xp_result *out; /* (WIN_TOPK_MAX, n_heads) */
    int *labels;    /* (WIN_TOPK_MAX, n_heads) */
    _Atomic int64_t calls, texts, nanos, cpu_nanos;
};

alert_words *aw_new(const classifier *c) {
    int head, neg = cls_negative_label(c, &head);
    if (neg < 0) return NULL;
    alert_words *w = xcalloc(1, sizeof *w);
    w->head = head;
    w->neg = neg;
    w->n_heads = cls_n_heads(c);
    w->out = xcalloc((size_t)(WIN_TOPK_MAX * w->n_heads), sizeof *w->out);
    w->labels = xcalloc((size_t)(WIN_TOPK_MAX * w->n_heads), sizeof *w->labels);
    w->c = c;
    return w;
}

void aw_free(alert_words *w) {
    if (!w) return;
    for (int i = 0; i < WIN_TOPK_MAX * w->n_heads; i++) xp_result_free(&w->out[i]);
    free(w->out);
    free(w->labels);
    xp_free(w->x);
    free(w);
}

/* 1 when s[0..n) has a letter or digit (any non-ASCII byte counts:
 * other scripts); punctuation marks alone are not shown in alerts. */
static int has_word_char(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80 || (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z')) return 1;
    }
    return 0;
}

/* Length of text[0..n) cut to at most max bytes on a UTF-8 boundary. */
static size_t utf8_cut(const char *s, size_t n, size_t max) {
    if (n <= max) return n;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80) max--;
    return max;
}

int aw_explain(const char *const *texts, int n, ax_word (*words)[AX_WORDS_MAX], int *n_words, void *ud) {
    alert_words *w = ud;
    int64_t t0 = time_mono_ns(), c0 = time_thread_cpu_ns();
    int H = w->n_heads;
    if (n > WIN_TOPK_MAX) n = WIN_TOPK_MAX;
    if (!w->x) w->x = xp_new(w->c);
    for (int i = 0; i < n * H; i++) w->labels[i] = i % H == w->head ? w->neg : -1;
    char err[256];
    if (xp_explain(w->x, texts, NULL, n, w->labels, w->out, err, sizeof err) != 0) {
        log_warn("alerts", "alert sent without words: %s", err);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const xp_result *r = &w->out[i * H + w->head];
        n_words[i] = 0;
        float floor = r->n ? AW_MIN_SHARE * r->words[0].weight : 0;
        for (int k = 0; k < r->n && n_words[i] < AX_WORDS_MAX && r->words[k].weight > floor; k++) {
            const xp_word *xw = &r->words[k];
            if (!has_word_char(texts[i] + xw->start, (size_t)(xw->end - xw->start))) continue;
            ax_word *a = &words[i][n_words[i]++];
            size_t len = utf8_cut(texts[i] + xw->start, (size_t)(xw->end - xw->start), AX_WORD_MAX - 1);
            memcpy(a->word, texts[i] + xw->start, len);
            a->word[len] = '\0';
            a->start = xw->start;
            a->end = xw->end;
            a->weight = xw->weight;
        }
    }
    atomic_fetch_add(&w->calls, 1);
    atomic_fetch_add(&w->texts, n);
    atomic_fetch_add(&w->nanos, time_mono_ns() - t0);
    atomic_fetch_add(&w->cpu_nanos, time_thread_cpu_ns() - c0);
    return 0;
}

aw_stats aw_get_stats(const alert_words *w) {
    if (!w) return (aw_stats){0};
    return (aw_stats){atomic_load(&w->calls), atomic_load(&w->texts), (double)atomic_load(&w->nanos) * 1e-9,
                      (double)atomic_load(&w->cpu_nanos) * 1e-9};
}

void aw_collect(metrics_writer *mw, void *arg) {
    aw_stats s = aw_get_stats(arg);
    mw_counter(mw, "finsent_alert_explained_total", "Alerts sent with the words behind them (model.explain_alerts).",
               "", (double)s.calls);
    mw_counter(mw, "finsent_alert_explain_seconds_total", "Time spent finding the words behind alerts.", "",
               s.seconds);
}
