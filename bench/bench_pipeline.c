/* bench_pipeline — `finsent bench pipeline`: how much of the classifier's
 * throughput survives the whole pipeline, and whether memory stays flat
 * under overload.
 *
 * One run, one model, one config (the demo's windows and rules, one webhook
 * sink to a local recording server, the outbox in a scratch directory):
 *   (a) classify-only: the messages decoded up front, then cls_score_events
 *       in batches of the pipeline's batch size with the config's threads,
 *       repeated for at least --seconds; measured before and after (b), the
 *       mean of the two is the figure (the machine may be shared);
 *   (b) end to end: the same messages produced to a mock Kafka cluster,
 *       then consumed by the real pipeline (Kafka consumer → decode →
 *       classify thread → windows, rules, outbox, webhook); messages/s from
 *       the first event consumed to the last event counted in its windows.
 * The ratio is (b)/(a) (target >= 0.85).
 *   (c) --soak S: `finsent bench feed` in a child process produces at
 *       --rate-factor × (b)'s rate for S seconds while the pipeline
 *       consumes (and falls behind: back-pressure pauses the partitions);
 *       its messages carry the wall clock as event time, as a live stream
 *       does (the cycles' compressed time, a simulated day per ~1,800
 *       messages, would turn the partitions' uneven consumption into days
 *       of event-time skew and keep hundreds of windows open per key);
 *       VmRSS is sampled every second: at the start (pipeline idle), after
 *       a warm-up (a tenth of the run, at most 30 s: queues and librdkafka's
 *       prefetch filled), at the end and the maximum. With --soak the
 *       cluster also runs in a child process (`finsent mock-broker`): a mock
 *       broker keeps every message in memory, and neither its memory nor
 *       the producer's buffers are the pipeline's.
 * The messages are the demo feed's texts in cycles (bench_env.h). */
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/commands.h"
#include "app/hook_server.h"
#include "app/service.h"
#include "app/signals.h"
#include "app/sources.h"
#include "bench/bench.h"
#include "bench/bench_env.h"
#include "ingest/consumer.h"
#include "ingest/decode.h"
#include "ingest/mock_cluster.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define RATIO_TARGET 0.85
#define GROWTH_TARGET_PCT 10.0
#define SERIES_EVERY 10
#define SERIES_MAX (3600 / SERIES_EVERY + 1)
#define MAX_KAFKA_PROPS 8

static void usage(FILE *f) {
    fprintf(f,
            "usage: finsent bench pipeline [--model DIR] [--messages N] [--seconds S] [--json]\n"
            "                              [--soak SECONDS [--rate-factor F]] [--kafka KEY=VALUE]\n\n"
            "End-to-end messages/s (mock Kafka cluster → consumer → classify → windows,\n"
            "rules, outbox, webhook) over classify-only messages/s (the classifier alone on\n"
            "the same decoded messages, same batch size and threads), in the same run.\n"
            "Target: ratio >= %.2f. Messages are the demo feed's texts in cycles.\n\n"
            "  --model DIR        the model (default: $FINSENT_MODEL, else models/default)\n"
            "  --messages N       messages for the end-to-end pass (default 20000)\n"
            "  --seconds S        least time of each classify-only pass (default 2)\n"
            "  --soak SECONDS     then feed at F x the end-to-end rate for SECONDS (at\n"
            "                     most 3600; Ctrl-C stops it) and report RSS growth\n"
            "                     (target <= %.0f%%)\n"
            "  --rate-factor F    the soak's overload factor (default 2)\n"
            "  --kafka KEY=VALUE  a librdkafka property for the consumer (repeatable)\n"
            "  --checkpoint       then the end-to-end pass with checkpoints of the stream\n"
            "                     state (state.checkpoint_interval 2s, as `run`), and once\n"
            "                     more without: checkpoint_ratio = with / mean(without)\n"
            "                     (target >= 0.95), the checkpoints' bytes per key\n"
            "  --json             one JSON object; the ratio under \"ratio\"\n\n"
            "example:\n  finsent bench pipeline --model models/default --messages 20000 --json\n",
            RATIO_TARGET, GROWTH_TARGET_PCT);
}

/* The demo's windows and rules; one webhook sink; no metrics endpoint. */
static const char *const CONFIG_FMT =
    "{\"kafka\": {\"bootstrap.servers\": \"%s\"},\n"
    " \"group_id\": \"finsent-bench\",\n"
    " \"inputs\": [{\"topic\": \"news\", \"stream\": \"news\"}, {\"topic\": \"comments\", \"stream\": \"comments\"}],\n"
    " \"dead_letter_topic\": \"finsent.deadletter\",\n"
    " \"model\": {\"dir\": \"%s\", \"threads\": 1, \"max_batch_wait\": \"20ms\", \"max_len\": 64},\n"
    " \"windows\": {\"size\": \"15m\", \"allowed_lateness\": \"1m\", \"idle_timeout\": \"10s\", "
    "\"keys\": [\"entity\", \"topic\"]},\n"
    " \"baseline\": {\"alpha\": 0.1, \"warmup_windows\": 8},\n"
    " \"rules\": [\n"
    "  {\"name\": \"entity-negative-spike\", \"scope\": \"entity\", \"min_count\": 6, \"min_negatives\": 5, "
    "\"ratio\": 4, \"severity\": \"critical\", \"repeat_interval\": \"1h\", \"resolve_after\": 2},\n"
    "  {\"name\": \"topic-negative-spike\", \"scope\": \"topic\", \"min_count\": 8, \"min_negatives\": 6, "
    "\"min_negative_share\": 0.6, \"ratio\": 3, \"severity\": \"warning\", \"repeat_interval\": \"1h\", "
    "\"resolve_after\": 2}],\n"
    " \"sinks\": [{\"name\": \"bench-receiver\", \"type\": \"webhook\", \"url\": \"%s\", \"timeout\": \"5s\", "
    "\"give_up_after\": \"30s\"}],\n"
    " \"outbox\": {\"dir\": \"%s/outbox\"},\n"
    " \"metrics\": {\"listen\": \"\"},\n"
    " \"log\": {\"level\": \"error\"}}\n";

/* CPU seconds used by this process so far (all threads). */
static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A pl_source around another, timing the first event handed out and the
 * last one counted in its windows. */
typedef struct timed_source {
    pl_source inner;
    int64_t first_ns, last_ns;
    double first_cpu, last_cpu; /* process CPU seconds at the same moments */
    long released;
} timed_source;

static int timed_next(void *ctx, event **out, int max, int timeout_ms) {
    timed_source *t = ctx;
    int n = t->inner.next(t->inner.ctx, out, max, timeout_ms);
    if (n > 0 && t->first_ns == 0) {
        t->first_ns = time_mono_ns();
        t->first_cpu = cpu_seconds();
    }
    return n;
}

static void timed_release(void *ctx, const event *e) {
    timed_source *t = ctx;
    if (t->inner.release) t->inner.release(t->inner.ctx, e);
    t->last_ns = time_mono_ns();
    t->last_cpu = cpu_seconds();
    t->released++;
}

static void timed_ack(void *ctx, const char *topic, int32_t partition, int64_t first, int64_t last) {
    timed_source *t = ctx;
    if (t->inner.ack) t->inner.ack(t->inner.ctx, topic, partition, first, last);
}

static pl_source timed(timed_source *t) {
    return (pl_source){.next = timed_next, .release = timed_release, .ack = timed_ack, .ctx = t};
}

static void expect(const char *topic, int32_t partition, void *ud) { pipeline_expect_partition(ud, topic, partition); }

/* Classify-only messages/s: events scored in batches of `batch` until at
 * least `seconds` passed (one pass at least); *scored and *cpu get the
 * events scored and the process CPU seconds used. -1 on a classifier error. */
static double classify_only(classifier *cls, event **ev, long n, int batch, double seconds, long *scored,
                            double *cpu) {
    char err[256];
    double t0 = bench_now(), c0 = cpu_seconds(), t;
    long done = 0;
    do {
        for (long i = 0; i < n; i += batch) {
            int k = (int)(n - i < batch ? n - i : batch);
            if (cls_score_events(cls, ev + i, k, err, sizeof err) < 0) {
                fprintf(stderr, "finsent bench pipeline: %s\n", err);
                return -1;
            }
        }
        done += n;
        t = bench_now();
    } while (t - t0 < seconds);
    *scored = done;
    *cpu = cpu_seconds() - c0;
    return (double)done / (t - t0);
}

/* ---- the soak ---- */

typedef struct soak_state {
    double rate;            /* messages/s to feed */
    double seconds;
    volatile sig_atomic_t stop; /* the pipeline's stop flag */
    long produced;          /* by the feed child */
    long rss_start, rss_end, rss_max, rss_warm;
    long series[SERIES_MAX]; /* RSS every SERIES_EVERY samples */
    long heap[SERIES_MAX];   /* kB malloc has handed out at the same samples (mallinfo2: the
                              * main arena and mmapped chunks; other arenas are not counted) */
    int samples, n_series;
    ingest_consumer *ic;
    pipeline *p;
    int64_t unacked_end, in_flight_end; /* counted in open windows; held by ingest */
    int64_t pending_runs_end;           /* the runs the unacknowledged events are held in */
    int64_t lag_end;
    uint64_t pauses;
} soak_state;

/* Samples RSS every second until the time is up or a signal; then stops
 * the pipeline. */
static void *soak_sampler(void *arg) {
    soak_state *s = arg;
    double t0 = bench_now(), warm_at = s->seconds / 10 < 30 ? s->seconds / 10 : 30;
    s->rss_start = s->rss_max = s->rss_end = bench_rss_kb();
    s->rss_warm = -1;
    while (!signals_stop) {
        double left = t0 + s->seconds - bench_now();
        if (left <= 0) break;
        usleep(left < 1 ? (useconds_t)(left * 1e6) : 1000000);
        long kb = bench_rss_kb();
        if (s->samples++ % SERIES_EVERY == 0 && s->n_series < SERIES_MAX) {
            struct mallinfo2 mi = mallinfo2();
            s->heap[s->n_series] = (long)((mi.uordblks + mi.hblkhd) / 1024);
            s->series[s->n_series++] = kb;
        }
        if (kb > s->rss_max) s->rss_max = kb;
        if (s->rss_warm < 0 && bench_now() - t0 >= warm_at) s->rss_warm = kb;
        s->rss_end = kb;
    }
    ingest_metrics m;
    ingest_metrics_get(s->ic, &m);
    s->lag_end = m.lag;
    s->in_flight_end = m.in_flight;
    pl_stats st = pipeline_get_stats(s->p);
    s->unacked_end = st.aggregated - st.acked - st.bad_labels;
    s->pending_runs_end = st.pending_runs;
    s->pauses = m.pauses;
    s->stop = 1;
    return NULL;
}

/* ---- the command ---- */

typedef struct pl_args {
    const char *model;
    long messages;
    double seconds, soak, factor;
    int json;
    const char *kafka[MAX_KAFKA_PROPS]; /* KEY=VALUE for the consumer */
    int n_kafka;
    int checkpoint; /* --checkpoint: the end-to-end pass again with checkpoints, and once more without */
} pl_args;

static int parse_args(int argc, char **argv, pl_args *a) {
    static const struct option opts[] = {
        {"model", required_argument, NULL, 'm'},  {"messages", required_argument, NULL, 'n'},
        {"seconds", required_argument, NULL, 's'}, {"soak", required_argument, NULL, 'S'},
        {"rate-factor", required_argument, NULL, 'f'}, {"json", no_argument, NULL, 'j'},
        {"kafka", required_argument, NULL, 'k'},   {"help", no_argument, NULL, 'h'},
        {"checkpoint", no_argument, NULL, 'C'},
        {NULL, 0, NULL, 0},
    };
    *a = (pl_args){.messages = 20000, .seconds = 2, .factor = 2};
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'm': a->model = optarg; break;
        case 'n':
            a->messages = strtol(optarg, &end, 10);
            if (*end || a->messages < 100 || a->messages > 10000000)
                return cli_usage_error("bench pipeline", "--messages: expected 100..10000000, got \"%s\"", optarg);
            break;
        case 's':
            a->seconds = strtod(optarg, &end);
            if (*end || !(a->seconds >= 0 && a->seconds <= 600))
                return cli_usage_error("bench pipeline", "--seconds: expected 0..600, got \"%s\"", optarg);
            break;
        case 'S':
            a->soak = strtod(optarg, &end);
            if (*end || !(a->soak >= 1 && a->soak <= 3600))
                return cli_usage_error("bench pipeline", "--soak: expected 1..3600 seconds, got \"%s\"", optarg);
            break;
        case 'f':
            a->factor = strtod(optarg, &end);
            if (*end || !(a->factor > 0 && a->factor <= 100))
                return cli_usage_error("bench pipeline", "--rate-factor: expected (0, 100], got \"%s\"", optarg);
            break;
        case 'k':
            if (!strchr(optarg, '=') || optarg[0] == '=' || a->n_kafka == MAX_KAFKA_PROPS)
                return cli_usage_error("bench pipeline", "--kafka: expected KEY=VALUE (at most %d), got \"%s\"",
                                       MAX_KAFKA_PROPS, optarg);
            a->kafka[a->n_kafka++] = optarg;
            break;
        case 'j': a->json = 1; break;
        case 'C': a->checkpoint = 1; break;
        case 'h': usage(stdout); return 0;
        default: return cli_usage_error("bench pipeline", "unknown option");
        }
    }
    if (optind < argc) return cli_usage_error("bench pipeline", "unexpected argument \"%s\"", argv[optind]);
    return -1;
}

typedef struct pl_env {
    char dir[64];
    ingest_mock *mock;
    pid_t broker;
    char bs[256];
    http_server *hook;
    int service_open;
    service s;
    ingest_options io;
    ingest_consumer *ic;
    bench_mix *mix;
    bench_producer *prod;
    event **ev;
    long n_ev;
} pl_env;

static void env_close(pl_env *e) {
    for (long i = 0; i < e->n_ev; i++) event_free(e->ev[i]);
    free(e->ev);
    bench_producer_free(e->prod);
    if (e->ic) ingest_close(e->ic, 5000);
    ingest_options_free(&e->io);
    if (e->service_open) service_close(&e->s);
    bench_mix_free(e->mix);
    hs_stop(e->hook);
    ingest_mock_free(e->mock);
    bench_child_stop(e->broker);
    bench_rmdir(e->dir);
}

/* Cluster, receiver, config, service, messages; 0 or -1 (printed). */
static int env_open(pl_env *e, const pl_args *a, const char *model) {
    char err[512];
    static const char *const topics[] = {"news:3", "comments:3", "finsent.deadletter:1"};
    if (bench_tmpdir(e->dir, sizeof e->dir) < 0) return cli_fail("bench pipeline", "cannot create a temporary directory"), -1;
    if (a->soak > 0) {
        if (bench_broker_spawn(topics, 3, e->bs, sizeof e->bs, &e->broker, err, sizeof err) < 0)
            return cli_fail("bench pipeline", "%s", err), -1;
    } else {
        e->mock = ingest_mock_new(1, err, sizeof err);
        if (!e->mock) return cli_fail("bench pipeline", "mock cluster: %s", err), -1;
        ingest_mock_topic(e->mock, "news", 3);
        ingest_mock_topic(e->mock, "comments", 3);
        ingest_mock_topic(e->mock, "finsent.deadletter", 1);
        snprintf(e->bs, sizeof e->bs, "%s", ingest_mock_bootstraps(e->mock));
    }
    e->hook = hs_start(NULL);
    if (!e->hook) return cli_fail("bench pipeline", "cannot start the webhook receiver on 127.0.0.1"), -1;
    char *url = hs_url(e->hook, "/alerts");
    char *text = xasprintf(CONFIG_FMT, e->bs, model, url, e->dir);
    char *path = xasprintf("%s/bench.json", e->dir);
    int wrote = bench_write_file(path, text);
    free(url);
    free(text);
    if (wrote < 0) {
        free(path);
        return cli_fail("bench pipeline", "cannot write the config in %s", e->dir), -1;
    }
    int rc = service_open(&e->s, path, model, NULL, 0, NULL, err, sizeof err);
    free(path);
    if (rc < 0) return cli_fail("bench pipeline", "%s", err), -1;
    e->service_open = 1;
    wire_ingest(&e->s.cfg, &e->io);
    for (int i = 0; i < a->n_kafka; i++) {
        char *kv = xstrdup(a->kafka[i]), *eq = strchr(kv, '=');
        *eq = '\0';
        ingest_options_set_kafka(&e->io, kv, eq + 1);
        free(kv);
    }
    e->mix = bench_mix_new();
    e->prod = bench_producer_new(e->bs, 5, err, sizeof err);
    if (!e->prod) return cli_fail("bench pipeline", "%s", err), -1;

    /* produce the messages and decode the same ones for classify-only */
    e->ev = xcalloc((size_t)a->messages, sizeof *e->ev);
    for (long i = 0; i < a->messages; i++) {
        const char *topic;
        char *payload = bench_mix_payload(e->mix, i, -1, &topic);
        if (bench_produce(e->prod, topic, payload) < 0) {
            free(payload);
            return cli_fail("bench pipeline", "cannot produce to %s", topic), -1;
        }
        decode_msg dm = {payload, strlen(payload), topic, 0, i, -1};
        decode_result res;
        event *ev = decode_message(&e->io, ingest_options_input(&e->io, topic), &dm, &res);
        if (ev) e->ev[e->n_ev++] = ev;
        free(payload);
    }
    long undelivered = bench_producer_flush(e->prod, 60000);
    bench_producer_free(e->prod);
    e->prod = NULL;
    if (undelivered != 0)
        return cli_fail("bench pipeline", "not every message reached the cluster at %s", e->bs), -1;
    return 0;
}

typedef struct e2e_result {
    double rate, seconds, cpu;
    long aggregated;
    pl_stats st;
    int rc;
} e2e_result;

/* (b): the bounded pipeline over the produced messages; the consumer is
 * opened here, so that it does not run during (a). rc 1 when it cannot. */
static e2e_result run_end_to_end(pl_env *e, long messages, ckpt_store *ckpt) {
    e2e_result r = {.rc = 1};
    char err[512];
    e->ic = ingest_open(&e->io, err, sizeof err);
    if (!e->ic) {
        cli_fail("bench pipeline", "%s", err);
        return r;
    }
    pl_options po = service_pipeline_options(&e->s);
    po.flush_at_end = 1;
    po.drain_ms = 10000;
    po.ckpt = ckpt;
    po.checkpoint_interval_ms = e->s.cfg.state.checkpoint_interval_ms;
    kafka_bounded kb = {e->ic, messages};
    timed_source ts = {.inner = source_kafka_bounded(&kb)};
    pl_source src = timed(&ts);
    pipeline *p = pipeline_start(&po, &src);
    ingest_list_partitions(e->ic, expect, p, 5000);
    r.rc = pipeline_run(p, &signals_stop);
    r.st = pipeline_get_stats(p);
    pipeline_free(p);
    r.aggregated = ts.released;
    r.seconds = (double)(ts.last_ns - ts.first_ns) / 1e9;
    r.cpu = ts.last_cpu - ts.first_cpu;
    r.rate = r.seconds > 0 ? (double)ts.released / r.seconds : 0;
    return r;
}

/* --checkpoint: the end-to-end pass with checkpoints, then once more
 * without, each with a fresh consumer group and empty windows. */
typedef struct ckpt_result {
    double on, off2;      /* messages/s with checkpoints, and the second pass without */
    ckpt_stats cs;        /* the store's at the end of the pass with them */
    int64_t keys;         /* keys in the state */
    int64_t checkpoints;
} ckpt_result;

static int run_checkpoint_passes(pl_env *e, long messages, ckpt_result *out) {
    char err[512];
    for (int pass = 0; pass < 2; pass++) {
        if (e->ic) ingest_close(e->ic, 5000);
        e->ic = NULL;
        alerts_reset(e->s.alerts);
        free(e->io.group_id);
        e->io.group_id = xasprintf("finsent-bench-pass%d", pass + 2);
        ckpt_store *store = NULL;
        if (pass == 0) {
            char *dir = xasprintf("%s/state", e->dir);
            store = ckpt_open(dir, err, sizeof err);
            free(dir);
            if (!store) return cli_fail("bench pipeline", "%s", err);
        }
        e2e_result r = run_end_to_end(e, messages, store);
        if (store) {
            out->cs = ckpt_get_stats(store);
            out->keys = alerts_get_metrics(e->s.alerts).keys;
            out->checkpoints = r.st.checkpoints;
            ckpt_close(store, 10000);
        }
        if (r.rc != 0 || r.aggregated == 0) return cli_fail("bench pipeline", "a checkpoint pass failed");
        *(pass == 0 ? &out->on : &out->off2) = r.rate;
    }
    return 0;
}

/* (c): overload for a->soak seconds, fed by `finsent bench feed` in a
 * child process. 0, or 1 when the feed or the pipeline failed. */
static int run_soak(pl_env *e, const pl_args *a, double rate, soak_state *ss) {
    char err[256];
    *ss = (soak_state){.rate = rate * a->factor, .seconds = a->soak, .ic = e->ic};
    long cycle = bench_mix_size(e->mix);
    char *argv[] = {"finsent", "bench", "feed", "--json", "--live-time", NULL, NULL, NULL, NULL, NULL};
    argv[5] = xasprintf("--brokers=%s", e->bs);
    argv[6] = xasprintf("--rate=%.1f", ss->rate);
    argv[7] = xasprintf("--seconds=%.0f", a->soak + 10);
    argv[8] = xasprintf("--first=%ld", (a->messages / cycle + 2) * cycle);
    pid_t feed;
    FILE *out;
    int rc = bench_spawn(argv, &feed, &out, err, sizeof err);
    for (int i = 5; i < 9; i++) free(argv[i]);
    if (rc < 0) return cli_fail("bench pipeline", "%s", err);
    pl_options po = service_pipeline_options(&e->s);
    pl_source src = source_kafka(e->ic);
    pipeline *p = pipeline_start(&po, &src);
    ss->p = p;
    pthread_t ts;
    pthread_create(&ts, NULL, soak_sampler, ss);
    rc = pipeline_run(p, &ss->stop);
    pthread_join(ts, NULL);
    pipeline_free(p);
    kill(feed, SIGTERM);
    char line[512];
    ss->produced = -1;
    if (fgets(line, sizeof line, out)) {
        const char *k = strstr(line, "\"produced\":");
        if (k) ss->produced = strtol(k + 11, NULL, 10);
    }
    fclose(out);
    bench_child_wait(feed);
    if (ss->produced < 0) return cli_fail("bench pipeline", "the soak's feed (finsent bench feed) failed");
    return rc;
}

int bench_pipeline(int argc, char **argv) {
    pl_args a;
    int prc = parse_args(argc, argv, &a);
    if (prc >= 0) return prc;
    const char *model = bench_model_dir(a.model);
    if (!model) return cli_usage_error("bench pipeline", "no model found: pass --model DIR or set FINSENT_MODEL");
    signals_install();

    pl_env e = {0};
    if (env_open(&e, &a, model) < 0) {
        env_close(&e);
        return 1;
    }
    int batch = service_pipeline_options(&e.s).batch_events;
    long scored1, scored2 = 0;
    double cpu1, cpu2 = 0;
    double cls1 = classify_only(e.s.cls, e.ev, e.n_ev, batch, a.seconds, &scored1, &cpu1);
    e2e_result r = run_end_to_end(&e, a.messages, NULL);
    double cls2 = cls1 < 0 ? -1 : classify_only(e.s.cls, e.ev, e.n_ev, batch, a.seconds, &scored2, &cpu2);
    if (cls1 < 0 || cls2 < 0 || r.rc != 0 || r.aggregated == 0) {
        env_close(&e);
        return cli_fail("bench pipeline", "%s", r.aggregated == 0 ? "no message went through the pipeline"
                                                                    : "classification failed");
    }
    double cls_rate = (cls1 + cls2) / 2, ratio = r.rate / cls_rate;
    /* messages per CPU-second: the end-to-end figure includes the mock cluster's threads */
    double cls_per_cpu = (double)(scored1 + scored2) / (cpu1 + cpu2);
    double e2e_per_cpu = r.cpu > 0 ? (double)r.aggregated / r.cpu : 0, cpu_ratio = e2e_per_cpu / cls_per_cpu;
    long rss = bench_rss_kb();
    alerts_metrics am = alerts_get_metrics(e.s.alerts);
    int hooks = hs_count(e.hook);
    ckpt_result cr = {0};
    if (a.checkpoint && !signals_stop && run_checkpoint_passes(&e, a.messages, &cr) != 0) {
        env_close(&e);
        return 1;
    }
    double ckpt_ratio = cr.on > 0 ? cr.on / ((r.rate + cr.off2) / 2) : 0;

    soak_state ss = {0};
    int soak_rc = 0;
    if (a.soak > 0 && !signals_stop) soak_rc = run_soak(&e, &a, r.rate, &ss);
    if (soak_rc != 0) {
        env_close(&e);
        return soak_rc;
    }
    double growth = ss.rss_start > 0 ? 100.0 * (double)(ss.rss_end - ss.rss_start) / (double)ss.rss_start : 0;
    double growth_warm = ss.rss_warm > 0 ? 100.0 * (double)(ss.rss_end - ss.rss_warm) / (double)ss.rss_warm : 0;
    long consumed_soak = 0;
    if (a.soak > 0) {
        ingest_metrics im;
        ingest_metrics_get(e.ic, &im);
        consumed_soak = (long)im.messages_in - a.messages;
    }

    if (a.json) {
        printf("{\"benchmark\":\"pipeline\",\"model\":\"%s\",\"messages\":%ld,\"batch_events\":%d,\"threads\":%d,"
               "\"classify_only_msgs_per_s\":%.1f,\"classify_only_before\":%.1f,\"classify_only_after\":%.1f,"
               "\"end_to_end_msgs_per_s\":%.1f,\"end_to_end_seconds\":%.3f,\"aggregated\":%ld,\"batches\":%lld,"
               "\"mean_batch\":%.1f,\"alerts_fired\":%lld,\"webhook_requests\":%d,\"rss_kb\":%ld,"
               "\"classify_only_msgs_per_cpu_s\":%.1f,\"end_to_end_msgs_per_cpu_s\":%.1f,\"cpu_ratio\":%.4f,"
               "\"ratio\":%.4f,\"target_ratio\":%.2f",
               model, a.messages, batch, e.s.cfg.model.threads, cls_rate, cls1, cls2, r.rate, r.seconds,
               r.aggregated, (long long)r.st.batches,
               r.st.batches ? (double)r.st.classified / (double)r.st.batches : 0, (long long)am.fired, hooks, rss,
               cls_per_cpu, e2e_per_cpu, cpu_ratio, ratio, RATIO_TARGET);
        if (a.checkpoint)
            printf(",\"checkpoint\":{\"with_msgs_per_s\":%.1f,\"without_msgs_per_s\":[%.1f,%.1f],"
                   "\"checkpoint_ratio\":%.4f,\"target_checkpoint_ratio\":0.95,\"checkpoints\":%lld,"
                   "\"last_bytes\":%lld,\"keys\":%lld,\"bytes_per_key\":%.1f,\"last_write_seconds\":%.4f}",
                   cr.on, r.rate, cr.off2, ckpt_ratio, (long long)cr.checkpoints, (long long)cr.cs.last_bytes,
                   (long long)cr.keys, cr.keys ? (double)cr.cs.last_bytes / (double)cr.keys : 0, cr.cs.last_seconds);
        if (a.soak > 0) {
            printf(",\"soak\":{\"seconds\":%.0f,\"rate_factor\":%.2f,\"feed_msgs_per_s\":%.1f,\"produced\":%ld,"
                   "\"consumed\":%ld,\"lag_end\":%lld,\"unacked_end\":%lld,\"pending_runs_end\":%lld,\"in_flight_end\":%lld,\"pauses\":%llu,\"samples\":%d,\"rss_start_kb\":%ld,"
                   "\"rss_warm_kb\":%ld,\"rss_end_kb\":%ld,\"rss_max_kb\":%ld,\"growth_pct\":%.2f,"
                   "\"growth_after_warmup_pct\":%.2f,\"target_growth_pct\":%.0f",
                   a.soak, a.factor, ss.rate, ss.produced, consumed_soak, (long long)ss.lag_end,
                   (long long)ss.unacked_end, (long long)ss.pending_runs_end, (long long)ss.in_flight_end, (unsigned long long)ss.pauses, ss.samples, ss.rss_start, ss.rss_warm, ss.rss_end, ss.rss_max,
                   growth, growth_warm, GROWTH_TARGET_PCT);
            printf(",\"rss_every_%ds_kb\":[", SERIES_EVERY);
            for (int i = 0; i < ss.n_series; i++) printf("%s%ld", i ? "," : "", ss.series[i]);
            printf("],\"malloc_main_in_use_every_%ds_kb\":[", SERIES_EVERY);
            for (int i = 0; i < ss.n_series; i++) printf("%s%ld", i ? "," : "", ss.heap[i]);
            printf("]}");
        }
        printf("}\n");
    } else {
        printf("pipeline bench: model %s, %ld messages, batches of %d, %d classifier thread(s)\n", model, a.messages,
               batch, e.s.cfg.model.threads);
        printf("  classify-only         %10.1f msg/s   (before %.1f, after %.1f)\n", cls_rate, cls1, cls2);
        printf("  end to end            %10.1f msg/s   (%ld messages in %.3f s, Kafka to windows)\n", r.rate,
               r.aggregated, r.seconds);
        printf("  ratio                 %10.3f         (target >= %.2f: %s)\n", ratio, RATIO_TARGET,
               ratio >= RATIO_TARGET ? "met" : "NOT met");
        printf("  per CPU-second        %10.1f msg/s   classify-only, %.1f end to end (%.3f; includes the\n"
               "                                         in-process mock cluster's threads)\n",
               cls_per_cpu, e2e_per_cpu, cpu_ratio);
        printf("  batches               %10lld         (mean %.1f events)\n", (long long)r.st.batches,
               r.st.batches ? (double)r.st.classified / (double)r.st.batches : 0);
        printf("  alerts                %10lld fired, %d webhook requests\n", (long long)am.fired, hooks);
        printf("  RSS                   %10ld kB\n", rss);
        if (a.checkpoint)
            printf("checkpoints: %.1f msg/s with them, %.1f and %.1f without (passes 2 and 1): ratio %.3f "
                   "(target >= 0.95: %s)\n"
                   "  %lld checkpoints, the last %lld bytes for %lld keys (%.0f bytes a key), written in %.1f ms\n",
                   cr.on, cr.off2, r.rate, ckpt_ratio, ckpt_ratio >= 0.95 ? "met" : "NOT met",
                   (long long)cr.checkpoints, (long long)cr.cs.last_bytes, (long long)cr.keys,
                   cr.keys ? (double)cr.cs.last_bytes / (double)cr.keys : 0, cr.cs.last_seconds * 1000);
        if (a.soak > 0) {
            printf("soak: %.0f s fed at %.1f msg/s (%.1f x), %ld produced, %ld consumed, lag at end %lld, "
                   "%llu pauses\n",
                   a.soak, ss.rate, a.factor, ss.produced, consumed_soak, (long long)ss.lag_end,
                   (unsigned long long)ss.pauses);
            printf("  at the end: %lld events unacknowledged (open windows) in %lld runs\n",
                   (long long)ss.unacked_end, (long long)ss.pending_runs_end);
            printf("  RSS start %ld kB, after warm-up %ld kB, end %ld kB, max %ld kB (%d samples)\n", ss.rss_start,
                   ss.rss_warm, ss.rss_end, ss.rss_max, ss.samples);
            printf("  RSS every %d s (kB):", SERIES_EVERY);
            for (int i = 0; i < ss.n_series; i++) printf(" %ld", ss.series[i]);
            printf("\n  malloc in use (kB):   ");
            for (int i = 0; i < ss.n_series; i++) printf(" %ld", ss.heap[i]);
            printf("\n");
            printf("  growth %.2f%% from start (%s), %.2f%% after warm-up (%s); target <= %.0f%%\n", growth,
                   growth <= GROWTH_TARGET_PCT ? "met" : "NOT met", growth_warm,
                   growth_warm <= GROWTH_TARGET_PCT ? "met" : "NOT met", GROWTH_TARGET_PCT);
        }
    }
    env_close(&e);
    return 0;
}
