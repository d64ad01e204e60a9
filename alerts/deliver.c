/* deliver — outbox to sinks and back; see deliver.h. */
#include "alerts/deliver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/crashpoint.h"
#include "util/errmsg.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

struct deliverer {
    outbox *ob;
    wh_client *wh;
    kafka_sink **ks;
    int n_ks;
    file_sink **fsk;
    int n_fsk;
    uint64_t handed; /* entries with seq <= handed were handed to their sinks */
    dlv_counts counts;
};

static void on_done(uint64_t seq, const char *sink, enum outbox_state st, const char *reason, void *ud) {
    deliverer *d = ud;
    if (st == OUTBOX_DELIVERED) crashpoint("delivered"); /* sent, the outbox does not know yet */
    if (st == OUTBOX_DELIVERED) d->counts.delivered++;
    else d->counts.failed++;
    if (outbox_mark(d->ob, seq, sink, st, reason) < 0) {
        d->counts.mark_errors++; /* the entry will be delivered again after a restart: same id */
        log_error("deliver", "cannot record delivery of entry %llu to %s: %s", (unsigned long long)seq, sink,
                  outbox_error(d->ob));
    }
}

deliverer *dlv_create(outbox *ob) {
    deliverer *d = xcalloc(1, sizeof *d);
    d->ob = ob;
    d->wh = wh_create(on_done, d);
    return d;
}

void dlv_destroy(deliverer *d, int timeout_ms) {
    if (!d) return;
    for (int i = 0; i < d->n_ks; i++) ks_destroy(d->ks[i], timeout_ms);
    free(d->ks);
    for (int i = 0; i < d->n_fsk; i++) filesink_close(d->fsk[i]);
    free(d->fsk);
    wh_destroy(d->wh);
    free(d);
}

static kafka_sink *find_kafka(const deliverer *d, const char *name) {
    for (int i = 0; i < d->n_ks; i++)
        if (strcmp(ks_name(d->ks[i]), name) == 0) return d->ks[i];
    return NULL;
}

static file_sink *find_file(const deliverer *d, const char *name) {
    for (int i = 0; i < d->n_fsk; i++)
        if (strcmp(filesink_name(d->fsk[i]), name) == 0) return d->fsk[i];
    return NULL;
}

static int has_sink(const deliverer *d, const char *name) {
    return find_kafka(d, name) || find_file(d, name) || wh_has_sink(d->wh, name);
}

int dlv_add_webhook(deliverer *d, const wh_config *cfg, char *err, size_t errlen) {
    if (cfg->name && has_sink(d, cfg->name)) {
        return err_set(err, errlen, "sink \"%s\": defined twice", cfg->name);
    }
    return wh_add_sink(d->wh, cfg, err, errlen);
}

void dlv_set_latency(deliverer *d, wh_latency *l) { wh_set_latency(d->wh, l); }

int dlv_add_kafka(deliverer *d, const ks_config *cfg, char *err, size_t errlen) {
    if (cfg->name && has_sink(d, cfg->name)) {
        return err_set(err, errlen, "sink \"%s\": defined twice", cfg->name);
    }
    kafka_sink *k = ks_create(cfg, on_done, d, err, errlen);
    if (!k) return -1;
    d->ks = xrealloc(d->ks, sizeof *d->ks * (size_t)(d->n_ks + 1));
    d->ks[d->n_ks++] = k;
    return 0;
}

int dlv_add_file(deliverer *d, const char *name, const char *path, char *err, size_t errlen) {
    if (has_sink(d, name)) {
        return err_set(err, errlen, "sink \"%s\": defined twice", name);
    }
    file_sink *f = filesink_open(name, path, on_done, d, err, errlen);
    if (!f) return -1;
    d->fsk = xrealloc(d->fsk, sizeof *d->fsk * (size_t)(d->n_fsk + 1));
    d->fsk[d->n_fsk++] = f;
    return 0;
}

/* Hands one pending (entry, sink) to its sink; a refusal marks it failed. */
static void hand_one(deliverer *d, uint64_t seq, int s) {
    const outbox_entry *e = outbox_find(d->ob, seq);
    if (!e || e->state[s] != OUTBOX_PENDING) return;
    file_sink *f = find_file(d, e->sinks[s]);
    if (f) {
        char *body = xstrdup(e->body); /* the delivery mark may compact the outbox and free e */
        filesink_submit(f, seq, body);
        free(body);
        return;
    }
    kafka_sink *k = find_kafka(d, e->sinks[s]);
    int rc = k ? ks_submit(k, seq, e->key, e->id, e->body)
               : wh_submit(d->wh, e->sinks[s], seq, e->id, e->body, e->created_ms);
    if (rc == 0) return;
    const char *why = k || wh_has_sink(d->wh, e->sinks[s]) ? "sink refused the alert" : "unknown sink";
    log_error("deliver", "alert %s to %s: %s", e->id, e->sinks[s], why);
    char *sink = xstrdup(e->sinks[s]); /* the mark may compact the outbox and free e */
    on_done(seq, sink, OUTBOX_FAILED, why, d);
    free(sink);
}

/* Hands entries newer than d->handed to their sinks. */
static void hand_out(deliverer *d) {
    int n = outbox_count(d->ob), first = n;
    while (first > 0 && outbox_entry_at(d->ob, first - 1)->seq > d->handed) first--;
    if (first == n) return;
    int m = n - first;
    uint64_t *seqs = xmalloc(sizeof *seqs * (size_t)m);
    int *n_sinks = xmalloc(sizeof *n_sinks * (size_t)m);
    for (int i = 0; i < m; i++) {
        seqs[i] = outbox_entry_at(d->ob, first + i)->seq;
        n_sinks[i] = outbox_entry_at(d->ob, first + i)->n_sinks;
    }
    d->handed = seqs[m - 1];
    for (int i = 0; i < m; i++)
        for (int s = 0; s < n_sinks[i]; s++) hand_one(d, seqs[i], s);
    free(seqs);
    free(n_sinks);
}

int dlv_poll(deliverer *d, int timeout_ms) {
    hand_out(d);
    int done = 0;
    for (int i = 0; i < d->n_fsk; i++) done += filesink_poll(d->fsk[i]);
    for (int i = 0; i < d->n_ks; i++) done += ks_poll(d->ks[i], 0);
    done += wh_poll(d->wh, timeout_ms);
    for (int i = 0; i < d->n_ks; i++) done += ks_poll(d->ks[i], 0);
    return done;
}

int dlv_flush_kafka(deliverer *d, int timeout_ms) {
    int64_t end = time_now_ms() + timeout_ms;
    for (;;) {
        int left = 0;
        for (int i = 0; i < d->n_ks; i++) left += ks_pending(d->ks[i]);
        if (left == 0 || time_now_ms() >= end) return left;
        for (int i = 0; i < d->n_ks; i++) ks_poll(d->ks[i], 10);
    }
}

int dlv_pending(const deliverer *d) { return outbox_n_pending(d->ob); }
dlv_counts dlv_get_counts(const deliverer *d) { return d->counts; }
wh_counts dlv_webhook_counts(const deliverer *d) { return wh_get_counts(d->wh); }
