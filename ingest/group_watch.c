/* group_watch — another consumer group's progress, watched from outside;
 * see group_watch.h.
 *
 * The handle is a consumer with the watched group's group.id that never
 * subscribes: rd_kafka_committed asks the group's coordinator for the
 * committed offsets without joining the group, so the watcher never takes
 * part in (or triggers) the group's rebalances. */
#include "ingest/group_watch.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/errmsg.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

typedef struct watched {
    char *topic;
    int32_t partition;
    int known;           /* an answer came */
    int64_t committed;   /* the group's committed offset (the low watermark when none) */
    int64_t high;        /* the high watermark */
    int64_t progress_ms; /* monotonic ms: the committed offset last moved, or the group fell behind */
    int reported;        /* the stall was logged */
} watched;

struct group_watch {
    rd_kafka_t *rk;
    char *group;
    int interval_ms;
    int64_t stall_ms;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* stop */
    watched *w;
    int n, cap;
    pthread_t thread;
    int started;
    int stop;
    int done; /* the thread has left its loop */
};

static int64_t mono_ms(void) { return time_mono_ns() / 1000000; }

/* Under mu. */
static int is_stalled(const group_watch *g, const watched *w, int64_t now) {
    return w->known && w->committed < w->high && now - w->progress_ms >= g->stall_ms;
}

/* Under mu: one partition's answer. */
static void update(group_watch *g, watched *w, int64_t committed, int64_t low, int64_t high, int64_t now) {
    int64_t c = committed >= 0 ? committed : low;
    int was_behind = w->known && w->committed < w->high;
    if (!w->known || c != w->committed || (c < high && !was_behind)) w->progress_ms = now;
    w->known = 1;
    w->committed = c;
    w->high = high;
    if (is_stalled(g, w, now) && !w->reported) {
        w->reported = 1;
        log_warn("ingest",
                 "group %s has not moved on %s[%d] for %lld ms with %lld records waiting (committed %lld, high "
                 "watermark %lld): its partition is held until it does",
                 g->group, w->topic, (int)w->partition, (long long)(now - w->progress_ms), (long long)(high - c),
                 (long long)c, (long long)high);
    } else if (w->reported && !is_stalled(g, w, now)) {
        w->reported = 0;
        log_info("ingest", "group %s moves on %s[%d] again (committed %lld of %lld)", g->group, w->topic,
                 (int)w->partition, (long long)c, (long long)high);
    }
}

int group_watch_poll(group_watch *g, int timeout_ms) {
    pthread_mutex_lock(&g->mu);
    int n = g->n;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n > 0 ? n : 1);
    for (int i = 0; i < n; i++) rd_kafka_topic_partition_list_add(l, g->w[i].topic, g->w[i].partition);
    pthread_mutex_unlock(&g->mu);
    int answered = 0;
    rd_kafka_resp_err_t err = n ? rd_kafka_committed(g->rk, l, timeout_ms) : RD_KAFKA_RESP_ERR_NO_ERROR;
    if (err) log_debug("ingest", "committed offsets of group %s: %s", g->group, rd_kafka_err2str(err));
    for (int i = 0; !err && i < n; i++) {
        pthread_mutex_lock(&g->mu);
        int stop = g->stop;
        pthread_mutex_unlock(&g->mu);
        if (stop) break;
        const rd_kafka_topic_partition_t *tp = &l->elems[i];
        int64_t lo = 0, hi = 0;
        if (tp->err || rd_kafka_query_watermark_offsets(g->rk, tp->topic, tp->partition, &lo, &hi, timeout_ms))
            continue;
        pthread_mutex_lock(&g->mu);
        update(g, &g->w[i], tp->offset, lo, hi, mono_ms()); /* entries are only ever appended: i is stable */
        pthread_mutex_unlock(&g->mu);
        answered++;
    }
    rd_kafka_topic_partition_list_destroy(l);
    return answered;
}

static void *watch_main(void *arg) {
    group_watch *g = arg;
    pthread_mutex_lock(&g->mu);
    while (!g->stop) {
        pthread_mutex_unlock(&g->mu);
        group_watch_poll(g, g->interval_ms * 4);
        rd_kafka_poll(g->rk, 0); /* serves the error callback */
        pthread_mutex_lock(&g->mu);
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += g->interval_ms / 1000;
        ts.tv_nsec += (long)(g->interval_ms % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
        while (!g->stop && pthread_cond_timedwait(&g->cv, &g->mu, &ts) == 0) {
        }
    }
    g->done = 1;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

group_watch *group_watch_new(const ingest_options *opt, const char *group_id, int interval_ms, int64_t stall_ms,
                             char *err, size_t errlen) {
    /* never commits, never joins: only asks */
    static const char *const defaults[] = {"enable.auto.commit", "false", NULL};
    rd_kafka_conf_t *conf = ingest_kafka_conf(opt, defaults, err, errlen);
    if (!conf) return NULL;
    char e[512];
    if (rd_kafka_conf_set(conf, "group.id", group_id, e, sizeof e) != RD_KAFKA_CONF_OK) {
        err_set(err, errlen, "group.id %s: %s", group_id, e);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof e);
    if (!rk) {
        err_set(err, errlen, "kafka watcher of group %s: %s", group_id, e);
        return NULL;
    }
    group_watch *g = xcalloc(1, sizeof *g);
    g->rk = rk;
    g->group = xstrdup(group_id);
    g->interval_ms = interval_ms > 0 ? interval_ms : 500;
    g->stall_ms = stall_ms;
    pthread_mutex_init(&g->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&g->cv, &ca);
    pthread_condattr_destroy(&ca);
    return g;
}

void group_watch_add(group_watch *g, const char *topic, int32_t partition) {
    pthread_mutex_lock(&g->mu);
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 8;
        g->w = xrealloc(g->w, sizeof *g->w * (size_t)g->cap);
    }
    g->w[g->n++] = (watched){.topic = xstrdup(topic), .partition = partition};
    int start = !g->started;
    g->started = 1;
    pthread_mutex_unlock(&g->mu);
    if (start) pthread_create(&g->thread, NULL, watch_main, g);
}

int group_watch_stalled(group_watch *g, void (*fn)(void *ud, const char *topic, int32_t partition), void *ud) {
    int k = 0;
    int64_t now = mono_ms();
    pthread_mutex_lock(&g->mu);
    for (int i = 0; i < g->n; i++)
        if (is_stalled(g, &g->w[i], now)) {
            fn(ud, g->w[i].topic, g->w[i].partition);
            k++;
        }
    pthread_mutex_unlock(&g->mu);
    return k;
}

/* How long group_watch_free waits for the thread to leave a query. */
#define FREE_WAIT_MS 10000

void group_watch_free(group_watch *g) {
    if (!g) return;
    pthread_mutex_lock(&g->mu);
    g->stop = 1;
    pthread_cond_broadcast(&g->cv);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += FREE_WAIT_MS / 1000;
    int rc = 0;
    while (g->started && !g->done && rc == 0) rc = pthread_cond_timedwait(&g->cv, &g->mu, &ts);
    int stuck = g->started && !g->done;
    pthread_mutex_unlock(&g->mu);
    if (stuck) {
        /* librdkafka before 2.3 does not bound rd_kafka_query_watermark_offsets
         * when a broker does not answer: the thread is inside it, so the
         * handle and the watcher stay (the process is about to exit) */
        log_warn("ingest", "the watcher of group %s is still waiting for the cluster; left behind", g->group);
        pthread_detach(g->thread);
        return;
    }
    if (g->started) pthread_join(g->thread, NULL);
    rd_kafka_destroy(g->rk);
    for (int i = 0; i < g->n; i++) free(g->w[i].topic);
    free(g->w);
    free(g->group);
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
    free(g);
}
