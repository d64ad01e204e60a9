/* decode_pool — ordered decode-ahead on worker threads; see decode_pool.h.
 *
 * A ring of jobs addressed by sequence numbers head <= claim <= tail:
 * [head, claim) are being or have been decoded, [claim, tail) wait for a
 * worker. Workers claim a few jobs at a time, decode them without the lock
 * and write the results back by sequence number, so the ring may grow (only
 * the pushing thread grows it, under the lock) while they work. */
#include "ingest/decode_pool.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_arena.h"
#include "util/log.h"
#include "util/xalloc.h"

#define CLAIM_BATCH 8
#define INITIAL_CAP 256

enum { JOB_QUEUED, JOB_BUSY, JOB_DONE };

typedef struct slot {
    decode_job job;
    int state;
    int dropped;
} slot;

struct decode_pool {
    const ingest_options *opt;
    decode_pool_release_fn release;
    pthread_mutex_t mu;
    pthread_cond_t work; /* jobs to claim, or stop */
    pthread_cond_t done; /* a claimed job was decoded */
    slot *ring;
    uint64_t cap; /* a power of two */
    uint64_t head, claim, tail;
    int head_waiters;
    int stop;
    pthread_t *threads;
    int n_threads;
};

static slot *at(decode_pool *p, uint64_t seq) { return &p->ring[seq & (p->cap - 1)]; }

/* Decodes one job with the thread's JSON arena on: the decoders copy what
 * they keep out of the cJSON tree and delete it before returning. */
static void decode_one(const ingest_options *opt, decode_job *j) {
    json_arena_begin();
    j->e = (opt->decode ? opt->decode : decode_message)(opt, j->in, &j->m, &j->r);
    json_arena_end();
}

static void *worker(void *arg) {
    decode_pool *p = arg;
    decode_job local[CLAIM_BATCH];
    uint64_t seqs[CLAIM_BATCH];
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->claim == p->tail) pthread_cond_wait(&p->work, &p->mu);
        if (p->stop) break;
        int n = 0;
        while (p->claim < p->tail && n < CLAIM_BATCH) {
            slot *s = at(p, p->claim);
            s->state = JOB_BUSY;
            seqs[n] = p->claim++;
            local[n++] = s->job;
        }
        pthread_mutex_unlock(&p->mu);
        for (int i = 0; i < n; i++) decode_one(p->opt, &local[i]);
        pthread_mutex_lock(&p->mu);
        for (int i = 0; i < n; i++) {
            slot *s = at(p, seqs[i]);
            s->job.e = local[i].e;
            s->job.r = local[i].r;
            s->state = JOB_DONE;
        }
        if (p->head_waiters) pthread_cond_broadcast(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

decode_pool *decode_pool_new(const ingest_options *opt, int threads, decode_pool_release_fn release) {
    decode_pool *p = xcalloc(1, sizeof *p);
    p->opt = opt;
    p->release = release;
    p->cap = INITIAL_CAP;
    p->ring = xcalloc(p->cap, sizeof *p->ring);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    p->threads = xcalloc(threads > 0 ? (size_t)threads : 1, sizeof *p->threads);
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0) {
            log_error("ingest", "cannot start decode thread %d", i);
            abort();
        }
        p->n_threads++;
    }
    return p;
}

void decode_pool_push(decode_pool *p, const decode_job *jobs, size_t n) {
    if (n == 0) return;
    pthread_mutex_lock(&p->mu);
    while (p->tail - p->head + n > p->cap) {
        slot *ring = xcalloc(p->cap * 2, sizeof *ring);
        for (uint64_t s = p->head; s < p->tail; s++) ring[s & (p->cap * 2 - 1)] = *at(p, s);
        free(p->ring);
        p->ring = ring;
        p->cap *= 2;
    }
    for (size_t i = 0; i < n; i++)
        *at(p, p->tail++) = (slot){.job = {.tag = jobs[i].tag, .m = jobs[i].m, .in = jobs[i].in}, .state = JOB_QUEUED};
    if (p->n_threads) pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
}

size_t decode_pool_count(decode_pool *p) {
    /* head and tail change only on the calling thread: no lock needed */
    return (size_t)(p->tail - p->head);
}

static void job_discard(decode_pool *p, decode_job *j) {
    event_free(j->e);
    if (p->release) p->release(j->tag);
}

/* Under mu: decodes job seq (queued) on the calling thread, unlocking
 * while it decodes. */
static void decode_here(decode_pool *p, uint64_t seq) {
    slot *s = at(p, seq);
    s->state = JOB_BUSY;
    decode_job j = s->job;
    int dropped = s->dropped;
    pthread_mutex_unlock(&p->mu);
    if (!dropped) decode_one(p->opt, &j);
    pthread_mutex_lock(&p->mu);
    s = at(p, seq);
    s->job.e = j.e;
    s->job.r = j.r;
    s->state = JOB_DONE;
}

int decode_pool_take(decode_pool *p, decode_job *out) {
    pthread_mutex_lock(&p->mu);
    while (p->head < p->tail) {
        /* while the head is not decoded, decode the oldest queued job here
         * (the head itself when no worker got to it), else wait */
        while (at(p, p->head)->state != JOB_DONE) {
            if (p->claim < p->tail) {
                decode_here(p, p->claim++);
                continue;
            }
            p->head_waiters++;
            pthread_cond_wait(&p->done, &p->mu);
            p->head_waiters--;
        }
        slot *s = at(p, p->head++);
        *out = s->job;
        if (!s->dropped) {
            pthread_mutex_unlock(&p->mu);
            return 1;
        }
        pthread_mutex_unlock(&p->mu);
        job_discard(p, out);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    memset(out, 0, sizeof *out);
    return 0;
}

int decode_pool_drop_if(decode_pool *p, int (*drop)(void *tag, void *ud), void *ud) {
    int n = 0;
    pthread_mutex_lock(&p->mu);
    for (uint64_t seq = p->head; seq < p->tail; seq++) {
        slot *s = at(p, seq);
        if (!s->dropped && drop(s->job.tag, ud)) s->dropped = 1, n++;
    }
    pthread_mutex_unlock(&p->mu);
    return n;
}

void decode_pool_free(decode_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n_threads; i++) pthread_join(p->threads[i], NULL);
    /* the workers are gone: every claimed job was written back */
    for (uint64_t seq = p->head; seq < p->tail; seq++) job_discard(p, &at(p, seq)->job);
    free(p->ring);
    free(p->threads);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
