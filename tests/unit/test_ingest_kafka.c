/* Integration tests of ingest/consumer over TCP against librdkafka's mock
 * cluster, with kcat as the independent producer and dead-letter reader:
 *   - a stream across 2 topics x 6 partitions with poison messages of every
 *     kind and a broker taken down and brought back mid-stream: every id is
 *     processed or dead-lettered with the right reason and headers;
 *   - SIGKILL of a consuming child mid-stream and a restart: nothing missing;
 *   - back-pressure: in-flight never exceeds the queue capacity;
 *   - lag per partition: the high watermark minus what was handed out.
 * Sizes shrink under SANITIZED=1. Every wait is bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "ingest/consumer.h"
#include "ingest/mock_cluster.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "tests/support/kafka_produce.h"

extern char **environ;

static int sanitized(void) { return getenv("SANITIZED") && strcmp(getenv("SANITIZED"), "1") == 0; }

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static double now_s(void) { return (double)time_mono_ns() / 1e9; }

/* kcat -P with "key:payload" lines from path and extra options (e.g.
 * headers: "-H a=b"); returns its exit status. */
static int kcat_produce(const char *bootstrap, const char *topic, const char *path, const char *extra) {
    char *cmd = xasprintf("kcat -P -q -b %s -t %s -K: %s -l %s", bootstrap, topic, extra, path);
    int rc = system(cmd);
    free(cmd);
    return rc;
}

/* ---- a bounded hand-off queue from the polling thread to an acker ---- */

typedef struct handoff {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    event **q;
    int cap, head, n;
    int done;
} handoff;

static void handoff_init(handoff *h, int cap) {
    memset(h, 0, sizeof *h);
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    h->q = xcalloc((size_t)cap, sizeof *h->q);
    h->cap = cap;
}

static void handoff_put(handoff *h, event *e) {
    pthread_mutex_lock(&h->mu);
    assert_true(h->n < h->cap); /* the consumer never has more than capacity in flight */
    h->q[(h->head + h->n++) % h->cap] = e;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

/* NULL when done. */
static event *handoff_get(handoff *h) {
    pthread_mutex_lock(&h->mu);
    while (h->n == 0 && !h->done) pthread_cond_wait(&h->cv, &h->mu);
    event *e = NULL;
    if (h->n) {
        e = h->q[h->head];
        h->head = (h->head + 1) % h->cap;
        h->n--;
    }
    pthread_mutex_unlock(&h->mu);
    return e;
}

static void handoff_finish(handoff *h) {
    pthread_mutex_lock(&h->mu);
    h->done = 1;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

/* The acker: records each id "m<N>" and acknowledges. */
typedef struct acker {
    handoff *h;
    ingest_consumer *c;
    int *seen;  /* per message index: times processed */
    int n;
    int distinct;
    int bad_ids;
    int delay_us;
    pthread_mutex_t mu;
} acker;

static void *acker_main(void *arg) {
    acker *a = arg;
    event *e;
    while ((e = handoff_get(a->h))) {
        if (a->delay_us) usleep((useconds_t)a->delay_us);
        int i = -1;
        if (e->id[0] == 'm') i = atoi(e->id + 1);
        pthread_mutex_lock(&a->mu);
        if (i < 0 || i >= a->n)
            a->bad_ids++;
        else if (a->seen[i]++ == 0)
            a->distinct++;
        pthread_mutex_unlock(&a->mu);
        ingest_ack(a->c, e);
        event_free(e);
    }
    return NULL;
}

static int acker_distinct(acker *a) {
    pthread_mutex_lock(&a->mu);
    int d = a->distinct;
    pthread_mutex_unlock(&a->mu);
    return d;
}

/* ---- poison messages: payload and the reason they must get ---- */

typedef struct poison {
    const char *payload;
    const char *reason;
} poison;

static char long_id_payload[600];
static char many_entities_payload[2000];
static char oversize_payload[5200];

static const poison *poisons(int *n) {
    static poison p[13];
    char id[400];
    memset(id, 'i', 300);
    id[300] = '\0';
    snprintf(long_id_payload, sizeof long_id_payload, "{\"text\":\"a\",\"id\":\"%s\"}", id);
    int k = snprintf(many_entities_payload, sizeof many_entities_payload, "{\"text\":\"a\",\"entities\":[");
    for (int i = 0; i < 70; i++) k += snprintf(many_entities_payload + k, sizeof many_entities_payload - (size_t)k,
                                               "%s\"E%d\"", i ? "," : "", i);
    snprintf(many_entities_payload + k, sizeof many_entities_payload - (size_t)k, "]}");
    memset(oversize_payload, 'x', sizeof oversize_payload - 1);
    memcpy(oversize_payload, "{\"text\":\"", 9);
    memcpy(oversize_payload + sizeof oversize_payload - 3, "\"}", 3);
    const poison t[] = {
        {"", "empty_message"},
        {"{\"text\":\"caf\xc3\"}", "invalid_utf8"},
        {"{\"text\": \"abc\"", "invalid_json"},
        {"[1,2]", "not_an_object"},
        {"{\"text\":5}", "bad_field_type"},
        {"{\"text\":\"a\",\"ts\":\"yesterday\"}", "bad_timestamp"},
        {"{\"id\":\"x\"}", "missing_text"},
        {"{\"title\":\"  \"}", "empty_text"},
        {"{\"text\":\"a\",\"id\":\"\"}", "empty_id"},
        {"{\"text\":\"a\",\"entities\":[\"\"]}", "bad_entity"},
        {long_id_payload, "id_too_long"},
        {many_entities_payload, "too_many_entities"},
        {oversize_payload, "oversize"},
    };
    memcpy(p, t, sizeof t);
    *n = (int)(sizeof t / sizeof t[0]);
    return p;
}

#define POISON_EVERY 97

/* Writes messages [0, n) of the given parity (topic) to path: "m<i>:payload". */
static void write_feed(const char *path, int n, int parity, int with_poison) {
    int np;
    const poison *p = poisons(&np);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < n; i++) {
        if (i % 2 != parity) continue;
        if (with_poison && i % POISON_EVERY == 0)
            fprintf(f, "m%d:%s\n", i, p[(i / POISON_EVERY) % np].payload);
        else
            fprintf(f, "m%d:{\"id\":\"m%d\",\"ts\":%lld,\"title\":\"Headline %d\",\"body\":\"Shares of $AAPL and "
                       "Goldman Sachs moved on message %d of the test stream.\",\"source\":\"t\"}\n",
                    i, i, 1714566600000LL + i, i, i);
    }
    fclose(f);
}

static ingest_options base_options(const char *bootstrap, const char *group) {
    ingest_options o = {0};
    ingest_options_set_kafka(&o, "bootstrap.servers", bootstrap);
    ingest_options_set_kafka(&o, "session.timeout.ms", "6000");
    ingest_options_set_kafka(&o, "heartbeat.interval.ms", "500");
    o.group_id = xstrdup(group);
    return o;
}

/* A header every message of the poison stream carries from its producer;
 * its dead letter must carry it too. */
#define ORIG_HEADER "origin"

/* Reads the dead-letter topic with kcat -J; checks every header (the
 * original message's, then ours) and marks dlq[i] per key "m<i>". Returns
 * the number of records read. */
static int read_dlq(const char *bootstrap, const char *topic, int n, int *dlq) {
    int np;
    const poison *p = poisons(&np);
    char *cmd = xasprintf("kcat -C -q -b %s -t %s -e -o beginning -J", bootstrap, topic);
    FILE *f = popen(cmd, "r");
    free(cmd);
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0;
    int records = 0;
    while (getline(&line, &cap, f) > 0) {
        cJSON *j = cJSON_Parse(line);
        assert_non_null(j);
        const char *key = cJSON_GetStringValue(cJSON_GetObjectItem(j, "key"));
        assert_non_null(key);
        int i = atoi(key + 1);
        assert_true(i >= 0 && i < n && i % POISON_EVERY == 0);
        const char *want_reason = p[(i / POISON_EVERY) % np].reason;
        cJSON *h = cJSON_GetObjectItem(j, "headers");
        const char *reason = NULL, *stopic = NULL, *soff = NULL, *spart = NULL, *orig = NULL, *trace = NULL;
        int orig_at = -1, reason_at = -1;
        for (int k = 0; k + 1 < cJSON_GetArraySize(h); k += 2) {
            const char *name = cJSON_GetStringValue(cJSON_GetArrayItem(h, k));
            const char *val = cJSON_GetStringValue(cJSON_GetArrayItem(h, k + 1));
            if (strcmp(name, ORIG_HEADER) == 0) orig = val, orig_at = k;
            if (strcmp(name, "trace") == 0) trace = val;
            if (strcmp(name, "reason") == 0) reason = val, reason_at = k;
            if (strcmp(name, "source_topic") == 0) stopic = val;
            if (strcmp(name, "source_offset") == 0) soff = val;
            if (strcmp(name, "source_partition") == 0) spart = val;
        }
        assert_non_null(reason);
        if (strcmp(reason, want_reason) != 0) fail_msg("m%d: reason %s, want %s", i, reason, want_reason);
        assert_string_equal(stopic, i % 2 ? "comments" : "news");
        if (!orig || !trace) fail_msg("m%d: the dead letter lacks the original headers", i);
        assert_string_equal(orig, i % 2 ? "comments-feed" : "news-feed");
        assert_string_equal(trace, "t-1");
        assert_true(orig_at < reason_at); /* the original headers first */
        assert_non_null(soff);
        assert_non_null(spart);
        const char *payload = cJSON_GetStringValue(cJSON_GetObjectItem(j, "payload"));
        if (strcmp(want_reason, "invalid_utf8") != 0 && payload)
            assert_string_equal(payload, p[(i / POISON_EVERY) % np].payload); /* original bytes */
        dlq[i]++;
        records++;
        cJSON_Delete(j);
    }
    free(line);
    pclose(f);
    return records;
}

static void test_stream_poison_and_broker_down(void **state) {
    (void)state;
    const int n = sanitized() ? 20000 : 100000;
    char err[256];
    ingest_mock *m = ingest_mock_new(3, err, sizeof err);
    assert_non_null(m);
    const char *bs = ingest_mock_bootstraps(m);
    assert_int_equal(ingest_mock_topic(m, "news", 6), 0);
    assert_int_equal(ingest_mock_topic(m, "comments", 6), 0);
    assert_int_equal(ingest_mock_topic(m, "dead", 1), 0);
    char dir[] = "/tmp/finsent-ingest-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *fnews = xasprintf("%s/news", dir), *fcom = xasprintf("%s/comments", dir);
    write_feed(fnews, n, 0, 1);
    write_feed(fcom, n, 1, 1);
    assert_int_equal(kcat_produce(bs, "news", fnews, "-H " ORIG_HEADER "=news-feed -H trace=t-1"), 0);
    assert_int_equal(kcat_produce(bs, "comments", fcom, "-H " ORIG_HEADER "=comments-feed -H trace=t-1"), 0);

    ingest_options o = base_options(bs, "stream");
    ingest_options_add_input(&o, "news", NULL);
    ingest_options_add_input(&o, "comments", "social");
    o.dead_letter_topic = xstrdup("dead");
    o.queue_capacity = 5000;
    o.max_message_bytes = 4096;
    ingest_options_add_watch(&o, "Goldman Sachs", "GS");
    ingest_consumer *c = ingest_open(&o, err, sizeof err);
    if (!c) fail_msg("ingest_open: %s", err);

    int n_poison = 0;
    for (int i = 0; i < n; i += POISON_EVERY) n_poison++;
    int n_good = n - n_poison;
    handoff h;
    handoff_init(&h, o.queue_capacity);
    acker a = {.h = &h, .c = c, .seen = xcalloc((size_t)n, sizeof(int)), .n = n};
    pthread_mutex_init(&a.mu, NULL);
    pthread_t th;
    pthread_create(&th, NULL, acker_main, &a);

    double t0 = now_s(), down_at = 0;
    int phase = 0; /* 0 before the fault, 1 broker down, 2 back up */
    ingest_metrics mt;
    int entities_ok = 1;
    for (;;) {
        event *e = ingest_poll(c, 100);
        if (e) {
            entities_ok &= e->n_entities == 2 && strcmp(e->entities[0], "AAPL") == 0 &&
                           strcmp(e->entities[1], "GS") == 0;
            handoff_put(&h, e);
        }
        int d = acker_distinct(&a);
        if (phase == 0 && d >= n_good / 4) {
            assert_int_equal(ingest_mock_broker_down(m, 2), 0);
            down_at = now_s();
            phase = 1;
        } else if (phase == 1 && now_s() - down_at > 1.5) {
            assert_int_equal(ingest_mock_broker_up(m, 2), 0);
            phase = 2;
        }
        ingest_metrics_get(c, &mt);
        if (d == n_good && mt.dead_lettered >= (uint64_t)n_poison && mt.in_flight == 0 && phase == 2) break;
        if (now_s() - t0 > 60) fail_msg("timed out: %d of %d good, %llu dead letters", d, n_good,
                                        (unsigned long long)mt.dead_lettered);
    }
    double secs = now_s() - t0;
    assert_int_equal(phase, 2);
    assert_true(entities_ok);
    assert_true(mt.in_flight_max <= o.queue_capacity);
    for (int r = 1; r < DECODE_N_REASONS; r++)
        if (r != DECODE_MISSING_TIMESTAMP && r != DECODE_LATE_EVENT) assert_true(mt.dead_letter_by_reason[r] > 0);
    handoff_finish(&h);
    pthread_join(th, NULL);
    assert_int_equal(ingest_close(c, 5000), 0);

    int *dlq = xcalloc((size_t)n, sizeof(int));
    int records = read_dlq(bs, "dead", n, dlq);
    int missing = 0, both = 0;
    for (int i = 0; i < n; i++) {
        int good = a.seen[i] > 0, dead = dlq[i] > 0;
        if (!good && !dead) missing++;
        if (good && dead) both++;
    }
    fprintf(stderr, "# %d messages (%d poison) in %.1f s; %d dead-letter records, %llu pauses\n", n, n_poison, secs,
            records, (unsigned long long)mt.pauses);
    assert_int_equal(missing, 0);
    assert_int_equal(both, 0);
    assert_int_equal(a.bad_ids, 0);
    assert_true(records >= n_poison);

    free(dlq);
    free(a.seen);
    free(h.q);
    ingest_options_free(&o);
    unlink(fnews);
    unlink(fcom);
    rmdir(dir);
    free(fnews);
    free(fcom);
    ingest_mock_free(m);
}

/* ---- back-pressure ---- */

static void test_back_pressure(void **state) {
    (void)state;
    /* librdkafka 2.0 fetches again about 1 s after a resume: few cycles */
    const int n = 120, cap = 16;
    char err[256];
    ingest_mock *m = ingest_mock_new(1, err, sizeof err);
    assert_non_null(m);
    const char *bs = ingest_mock_bootstraps(m);
    assert_int_equal(ingest_mock_topic(m, "bp", 3), 0);
    assert_int_equal(kafka_produce_numbered(bs, "bp", -1, n, "m", "slow $X"), 0);

    ingest_options o = base_options(bs, "bp");
    ingest_options_add_input(&o, "bp", NULL);
    /* a resume waits for the fetch in flight at the pause: keep it short */
    ingest_options_set_kafka(&o, "fetch.wait.max.ms", "20");
    o.queue_capacity = cap;
    ingest_consumer *c = ingest_open(&o, err, sizeof err);
    assert_non_null(c);
    handoff h;
    handoff_init(&h, cap);
    acker a = {.h = &h, .c = c, .seen = xcalloc((size_t)n, sizeof(int)), .n = n, .delay_us = 500};
    pthread_mutex_init(&a.mu, NULL);
    pthread_t th;
    pthread_create(&th, NULL, acker_main, &a);
    double t0 = now_s();
    ingest_metrics mt;
    while (acker_distinct(&a) < n) {
        event *e = ingest_poll(c, 50);
        if (e) handoff_put(&h, e);
        ingest_metrics_get(c, &mt);
        assert_true(mt.in_flight <= cap);
        if (now_s() - t0 > 50) fail_msg("timed out at %d of %d", acker_distinct(&a), n);
    }
    handoff_finish(&h);
    pthread_join(th, NULL);
    ingest_metrics_get(c, &mt);
    assert_true(mt.in_flight_max <= cap);
    assert_true(mt.pauses > 0);
    assert_int_equal(mt.acked, (uint64_t)n);
    /* acks for partitions this member does not own are ignored */
    ingest_ack_origin(c, "bp", 99, 0);
    ingest_ack_origin(c, "nope", 0, 0);
    ingest_metrics_get(c, &mt);
    assert_int_equal(mt.acks_ignored, 2);
    assert_int_equal(ingest_close(c, 5000), 0);
    free(a.seen);
    free(h.q);
    ingest_options_free(&o);
    ingest_mock_free(m);
}

/* ---- rebalance: a second member joins mid-stream ---- */

static int rb_take(ingest_consumer *c, int *seen, int n, int *distinct, int *seen_by) {
    event *e = ingest_poll(c, 20);
    if (!e) return 0;
    int i = atoi(e->id + 1);
    assert_true(i >= 0 && i < n);
    if (seen[i]++ == 0) (*distinct)++;
    (*seen_by)++;
    ingest_ack(c, e);
    event_free(e);
    return 1;
}

static void test_rebalance(void **state) {
    (void)state;
    const int n = 6000;
    char err[256];
    ingest_mock *m = ingest_mock_new(1, err, sizeof err);
    assert_non_null(m);
    const char *bs = ingest_mock_bootstraps(m);
    assert_int_equal(ingest_mock_topic(m, "rb", 6), 0);
    assert_int_equal(kafka_produce_numbered(bs, "rb", -1, n, "m", "rebalance"), 0);

    ingest_options o = base_options(bs, "rb");
    ingest_options_add_input(&o, "rb", NULL);
    ingest_options_set_kafka(&o, "max.partition.fetch.bytes", "4000"); /* small fetches: the stream lasts */
    ingest_options_set_kafka(&o, "fetch.wait.max.ms", "50");
    ingest_consumer *a = ingest_open(&o, err, sizeof err), *b = NULL;
    if (!a) fail_msg("ingest_open: %s", err);
    int *seen = xcalloc((size_t)n, sizeof(int));
    int distinct = 0, by_a = 0, by_b = 0;
    double t0 = now_s();
    while (distinct < n && now_s() - t0 < 50) {
        rb_take(a, seen, n, &distinct, &by_a);
        if (!b && by_a >= 500) {
            b = ingest_open(&o, err, sizeof err);
            assert_non_null(b);
        }
        if (b) rb_take(b, seen, n, &distinct, &by_b);
    }
    ingest_metrics ma, mb;
    ingest_metrics_get(a, &ma);
    ingest_metrics_get(b, &mb);
    fprintf(stderr, "# a took %d, b took %d, %d distinct; a rebalances %llu\n", by_a, by_b, distinct,
            (unsigned long long)ma.rebalances);
    assert_int_equal(distinct, n);
    assert_true(by_b > 0);                   /* b got partitions from a ... */
    assert_true(ma.rebalances >= 3);          /* assign, revoke, assign */
    assert_true(ma.assigned_partitions < 6); /* ... and a kept only its share */
    assert_int_equal(ingest_close(b, 5000), 0);
    assert_int_equal(ingest_close(a, 5000), 0);
    free(seen);
    ingest_options_free(&o);
    ingest_mock_free(m);
}

/* ---- a partition paused by back-pressure, revoked, and assigned back ----
 * librdkafka keeps a partition's pause across a revoke. Here a fills up and
 * pauses everything, b joins (a keeps half, its held events of the other
 * half are handed back, so a resumes what it kept), b leaves, and the half
 * b had comes back to a: it must be consumed, not left paused. */

/* Polls c once; holds the event in held (up to cap) or acknowledges it. */
static void pr_take(ingest_consumer *c, int *seen, int n, int *distinct, event **held, int *n_held, int hold) {
    event *e = ingest_poll(c, 20);
    if (!e) return;
    int i = atoi(e->id + 1);
    assert_true(i >= 0 && i < n);
    if (seen[i]++ == 0) (*distinct)++;
    if (hold) {
        held[(*n_held)++] = e;
        return;
    }
    ingest_ack(c, e);
    event_free(e);
}

static void test_paused_partitions_come_back(void **state) {
    (void)state;
    const int n = 2000, cap = 8;
    char err[256];
    ingest_mock *m = ingest_mock_new(1, err, sizeof err);
    assert_non_null(m);
    const char *bs = ingest_mock_bootstraps(m);
    assert_int_equal(ingest_mock_topic(m, "pr", 4), 0);
    assert_int_equal(kafka_produce_numbered(bs, "pr", -1, n, "m", "pause"), 0);

    ingest_options o = base_options(bs, "pr");
    ingest_options_add_input(&o, "pr", NULL);
    ingest_options_set_kafka(&o, "max.partition.fetch.bytes", "2000");
    ingest_options_set_kafka(&o, "fetch.wait.max.ms", "20");
    o.queue_capacity = cap;
    ingest_consumer *a = ingest_open(&o, err, sizeof err);
    if (!a) fail_msg("ingest_open: %s", err);
    int *seen = xcalloc((size_t)n, sizeof(int));
    event *held[64]; /* a's events not acknowledged yet (at most 64 held) */
    int n_held = 0, distinct = 0;
    ingest_metrics ma, mb;
    double t0 = now_s();
    /* 1. a holds what it polls until it pauses */
    do {
        pr_take(a, seen, n, &distinct, held, &n_held, 1);
        ingest_metrics_get(a, &ma);
        if (now_s() - t0 > 20) fail_msg("a never paused (in flight %d)", ma.in_flight);
    } while (!ma.paused);
    /* 2. b joins and consumes a little; a keeps holding */
    ingest_consumer *b = ingest_open(&o, err, sizeof err);
    assert_non_null(b);
    int b_took = 0;
    t0 = now_s();
    do {
        pr_take(a, seen, n, &distinct, held, &n_held, n_held < 64);
        int before = distinct;
        if (b_took < 40) pr_take(b, seen, n, &distinct, NULL, NULL, 0);
        b_took += distinct - before;
        ingest_metrics_get(a, &ma);
        ingest_metrics_get(b, &mb);
        if (now_s() - t0 > 30) fail_msg("b got no partitions (a has %d)", ma.assigned_partitions);
    } while (mb.assigned_partitions == 0 || b_took < 40);
    /* 3. b leaves: its partitions go back to a */
    assert_int_equal(ingest_close(b, 5000), 0);
    /* 4. a acknowledges what it held and must now read everything */
    for (int i = 0; i < n_held; i++) {
        ingest_ack(a, held[i]);
        event_free(held[i]);
    }
    t0 = now_s();
    while (distinct < n && now_s() - t0 < 40) pr_take(a, seen, n, &distinct, NULL, NULL, 0);
    ingest_metrics_get(a, &ma);
    fprintf(stderr, "# %d distinct of %d; a: %llu pauses, %llu rebalances, %d partitions\n", distinct, n,
            (unsigned long long)ma.pauses, (unsigned long long)ma.rebalances, ma.assigned_partitions);
    assert_int_equal(ma.assigned_partitions, 4);
    assert_int_equal(distinct, n);
    assert_int_equal(ingest_close(a, 5000), 0);
    free(seen);
    ingest_options_free(&o);
    ingest_mock_free(m);
}

/* ---- SIGKILL and restart ---- */

/* Child mode: consume topic "k" in group "kill", append each batch of ids
 * to out with fsync, then acknowledge. Runs until killed (at most 90 s). */
static int child_main(const char *bootstrap, const char *out) {
    log_set_level(LOG_WARN);
    ingest_options o = base_options(bootstrap, "kill");
    ingest_options_add_input(&o, "k", NULL);
    o.queue_capacity = 500;
    char err[256];
    ingest_consumer *c = ingest_open(&o, err, sizeof err);
    if (!c) return 1;
    int fd = open(out, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd < 0) return 1;
    event *batch[100];
    double t0 = now_s();
    while (now_s() - t0 < 90) {
        int nb = 0;
        event *e = ingest_poll(c, 100);
        while (e && nb < 100) {
            batch[nb++] = e;
            e = nb < 100 ? ingest_poll(c, 0) : NULL;
        }
        for (int i = 0; i < nb; i++) dprintf(fd, "%s\n", batch[i]->id);
        if (nb) fsync(fd);
        for (int i = 0; i < nb; i++) {
            ingest_ack(c, batch[i]);
            event_free(batch[i]);
        }
        if (nb) sleep_ms(50); /* slow work: auto-commits happen before the kill */
    }
    close(fd);
    ingest_close(c, 1000);
    ingest_options_free(&o);
    return 0;
}

static pid_t spawn_child(const char *self, const char *bootstrap, const char *out) {
    pid_t pid;
    char *argv[] = {(char *)self, "--child", (char *)bootstrap, (char *)out, NULL};
    assert_int_equal(posix_spawn(&pid, self, NULL, NULL, argv, environ), 0);
    return pid;
}

/* Distinct ids m<i> in the file; *lines gets the line count. */
static int ids_in(const char *path, int n, int *lines) {
    char *seen = xcalloc((size_t)n, 1);
    int d = 0;
    *lines = 0;
    FILE *f = fopen(path, "r");
    char buf[64];
    while (f && fgets(buf, sizeof buf, f)) {
        (*lines)++;
        int i = atoi(buf + 1);
        if (buf[0] == 'm' && i >= 0 && i < n && !seen[i]++) d++;
    }
    if (f) fclose(f);
    free(seen);
    return d;
}

static char self_path[4096];

static void test_sigkill_restart(void **state) {
    (void)state;
    const int n = sanitized() ? 5000 : 20000;
    char err[256];
    ingest_mock *m = ingest_mock_new(1, err, sizeof err);
    assert_non_null(m);
    const char *bs = ingest_mock_bootstraps(m);
    assert_int_equal(ingest_mock_topic(m, "k", 4), 0);
    char dir[] = "/tmp/finsent-kill-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *feed = xasprintf("%s/feed", dir), *out = xasprintf("%s/out", dir);
    FILE *f = fopen(feed, "w");
    for (int i = 0; i < n; i++) fprintf(f, "m%d:{\"id\":\"m%d\",\"text\":\"message %d\"}\n", i, i, i);
    fclose(f);
    assert_int_equal(kcat_produce(bs, "k", feed, ""), 0);

    pid_t pid = spawn_child(self_path, bs, out);
    double t0 = now_s();
    int lines = 0;
    double first = 0;
    while (now_s() - t0 < 40) {
        int d = ids_in(out, n, &lines);
        if (d > 0 && first == 0) first = now_s();
        if (d >= n / 3 && now_s() - first >= 1.5) break;
        sleep_ms(20);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    int before = ids_in(out, n, &lines);
    assert_true(before >= n / 3);
    assert_true(before < n); /* killed mid-stream */

    pid = spawn_child(self_path, bs, out);
    t0 = now_s();
    int d;
    while ((d = ids_in(out, n, &lines)) < n && now_s() - t0 < 50) sleep_ms(100);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    fprintf(stderr, "# killed at %d of %d; after restart %d distinct ids in %d lines (%d redelivered)\n", before, n,
            d, lines, lines - d);
    assert_int_equal(d, n);
    assert_true(lines - d < before); /* commits before the kill spared part of the redelivery */
    unlink(feed);
    unlink(out);
    rmdir(dir);
    free(feed);
    free(out);
    ingest_mock_free(m);
}

/* ingest_partition_lags: per assigned partition, the high watermark minus
 * the offset after the last message handed out. */
typedef struct lag_seen {
    int64_t lag[2];
    int n;
} lag_seen;

static void collect_lag(const ingest_partition_lag *l, void *ud) {
    lag_seen *s = ud;
    assert_string_equal(l->topic, "lag");
    assert_true(l->partition == 0 || l->partition == 1);
    s->lag[l->partition] = l->lag;
    s->n++;
}

static void test_partition_lag(void **state) {
    (void)state;
    const int per_part[2] = {300, 200};
    char err[256];
    ingest_mock *m = ingest_mock_new(1, err, sizeof err);
    assert_non_null(m);
    const char *bs = ingest_mock_bootstraps(m);
    assert_int_equal(ingest_mock_topic(m, "lag", 2), 0);
    assert_int_equal(kafka_produce_numbered(bs, "lag", 0, per_part[0], "p0-", "lag $X"), 0);
    assert_int_equal(kafka_produce_numbered(bs, "lag", 1, per_part[1], "p1-", "lag $X"), 0);
    ingest_options o = base_options(bs, "lag");
    ingest_options_add_input(&o, "lag", NULL);
    ingest_consumer *c = ingest_open(&o, err, sizeof err);
    assert_non_null(c);
    int64_t next[2] = {-1, -1};
    int got = 0;
    double t0 = now_s();
    while (got < 100 || next[0] < 0 || next[1] < 0) {
        event *e = ingest_poll(c, 100);
        if (e) {
            next[e->origin_partition] = e->origin_offset + 1;
            got++;
            ingest_ack(c, e);
            event_free(e);
        }
        if (now_s() - t0 > 30) fail_msg("timed out at %d events", got);
    }
    lag_seen s = {{-2, -2}, 0};
    assert_int_equal(ingest_partition_lags(c, collect_lag, &s), 2);
    assert_int_equal(s.n, 2);
    for (int p = 0; p < 2; p++) assert_int_equal(s.lag[p], per_part[p] - next[p]);
    assert_true(s.lag[0] + s.lag[1] > 0); /* 100 of 500 handed out */
    ingest_metrics mt;
    ingest_metrics_get(c, &mt);
    assert_int_equal(mt.lag, s.lag[0] + s.lag[1]);
    assert_int_equal(ingest_close(c, 5000), 0);
    ingest_options_free(&o);
    ingest_mock_free(m);
}

/* A consumer restarted on a caught-up partition gets no message, so it has
 * no position: its lag comes from the committed offset, 0, not -1. */
static void test_lag_after_restart(void **state) {
    (void)state;
    char err[256];
    ingest_mock *m = ingest_mock_new(1, err, sizeof err);
    assert_non_null(m);
    const char *bs = ingest_mock_bootstraps(m);
    assert_int_equal(ingest_mock_topic(m, "lagr", 1), 0);
    assert_int_equal(kafka_produce_numbered(bs, "lagr", 0, 50, "p0-", "lag $X"), 0);
    ingest_options o = base_options(bs, "lagr");
    ingest_options_add_input(&o, "lagr", NULL);
    ingest_consumer *c = ingest_open(&o, err, sizeof err);
    assert_non_null(c);
    int got = 0;
    double t0 = now_s();
    while (got < 50) {
        event *e = ingest_poll(c, 100);
        if (e) {
            got++;
            ingest_ack(c, e);
            event_free(e);
        }
        if (now_s() - t0 > 30) fail_msg("timed out at %d events", got);
    }
    assert_int_equal(ingest_close(c, 5000), 0); /* commits offset 50 */
    c = ingest_open(&o, err, sizeof err);
    assert_non_null(c);
    ingest_metrics mt = {.lag = -1};
    t0 = now_s();
    while (mt.assigned_partitions != 1 || mt.lag < 0) {
        event *e = ingest_poll(c, 100);
        if (e) fail_msg("a caught-up consumer got event %s", e->id);
        ingest_metrics_get(c, &mt);
        if (now_s() - t0 > 20) fail_msg("lag still %lld with %d partitions after 20 s", (long long)mt.lag,
                                        mt.assigned_partitions);
    }
    assert_int_equal(mt.lag, 0);
    assert_int_equal(ingest_close(c, 5000), 0);
    ingest_options_free(&o);
    ingest_mock_free(m);
}

/* ---- a dead letter that cannot be delivered is given up, visibly ---- */

/* The dead-letter topic refuses every request (its metadata says not
 * authorised): the dead letter of the one bad message is retried until
 * ingest.dead_letter_give_up_after, then given up (counted, its offset
 * acknowledged) so that the partition is no longer held: nothing stays in
 * flight and close drains. Before the give-up horizon it is still held. */
static void test_dead_letter_gives_up(void **state) {
    (void)state;
    char err[256];
    ingest_mock *m = ingest_mock_new(1, err, sizeof err);
    assert_non_null(m);
    const char *bs = ingest_mock_bootstraps(m);
    assert_int_equal(ingest_mock_topic(m, "news", 1), 0);
    assert_int_equal(ingest_mock_topic(m, "dead", 1), 0);
    rd_kafka_mock_topic_set_error(ingest_mock_raw(m), "dead", RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
    char dir[] = "/tmp/finsent-dlq-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = xasprintf("%s/feed", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "k:{\"id\":\"m0\",\"ts\":1700000000000,\"text\":\"fine\"}\nk:{not json\n"
               "k:{\"id\":\"m2\",\"ts\":1700000000001,\"text\":\"fine\"}\n");
    fclose(f);
    assert_int_equal(kcat_produce(bs, "news", path, ""), 0);

    ingest_options o = base_options(bs, "dlq-give-up");
    ingest_options_set_kafka(&o, "message.timeout.ms", "300");
    ingest_options_add_input(&o, "news", NULL);
    o.dead_letter_topic = xstrdup("dead");
    o.dead_letter_give_up_ms = 2000;
    ingest_consumer *c = ingest_open(&o, err, sizeof err);
    if (!c) fail_msg("ingest_open: %s", err);
    double t0 = now_s(), given_up_at = 0;
    int good = 0, held_before = 0;
    ingest_metrics mt;
    for (;;) {
        event *e = ingest_poll(c, 100);
        if (e) {
            good++;
            ingest_ack(c, e);
            event_free(e);
        }
        ingest_metrics_get(c, &mt);
        if (good == 2 && mt.dead_lettered == 1 && mt.dead_letters_given_up == 0 && mt.in_flight == 1) held_before = 1;
        if (mt.dead_letters_given_up == 1 && mt.in_flight == 0) {
            given_up_at = now_s() - t0;
            break;
        }
        if (now_s() - t0 > 30)
            fail_msg("not given up in 30 s: %llu dead letters, %d in flight, %llu retries",
                     (unsigned long long)mt.dead_lettered, mt.in_flight, (unsigned long long)mt.dead_letter_retries);
    }
    fprintf(stderr, "# dead letter given up after %.1f s (horizon 2 s), %llu retries\n", given_up_at,
            (unsigned long long)mt.dead_letter_retries);
    assert_int_equal(good, 2);
    assert_true(held_before);        /* before the horizon, its offset waited for it */
    assert_true(given_up_at >= 1.9); /* and not given up before it */
    assert_int_equal(ingest_close(c, 5000), 0); /* nothing left in flight */
    ingest_options_free(&o);
    unlink(path);
    rmdir(dir);
    free(path);
    ingest_mock_free(m);
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "--child") == 0) return child_main(argv[2], argv[3]);
    log_set_level(LOG_ERROR);
    if (getenv("IK_ONLY")) cmocka_set_test_filter(getenv("IK_ONLY")); /* e.g. IK_ONLY='*rebalance*' */
    ssize_t k = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
    if (k > 0) self_path[k] = '\0';
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_back_pressure),
        cmocka_unit_test(test_stream_poison_and_broker_down),
        cmocka_unit_test(test_sigkill_restart),
        cmocka_unit_test(test_rebalance),
        cmocka_unit_test(test_paused_partitions_come_back),
        cmocka_unit_test(test_partition_lag),
        cmocka_unit_test(test_lag_after_restart),
        cmocka_unit_test(test_dead_letter_gives_up),
    };
    return cmocka_run_group_tests_name("ingest_kafka", tests, NULL, NULL);
}
