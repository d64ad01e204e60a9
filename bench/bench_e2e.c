/* bench_e2e — `finsent bench e2e`: latency from producing the message that
 * completes a negative spike to the webhook receiving its alert.
 *
 * Set-up, all in this process: a mock Kafka cluster with one topic of one
 * partition (so that one partition drives the watermark), the real
 * pipeline (consumer, classify thread, windows, rules, outbox with fsync,
 * webhook sink) and a local HTTP receiver that records each request's
 * arrival time. Config: 10 s tumbling windows by entity, 1 s allowed
 * lateness, no baseline warm-up, one rule "at least K messages, K
 * negative" (K = 5), the model's batch wait as configured (20 ms).
 *
 * One spike on entity SPKnnn in its own window [W, W+10 s) of event time:
 *   1. K-1 negative messages (texts the model labels negative, chosen from
 *      the demo feed) are produced and the pipeline counts them;
 *   2. t0 = wall clock; the K-th negative message is produced (linger 0):
 *      the message that completes the spike;
 *   3. right behind it, a "clock" message (neutral, another entity) with
 *      event time W + 11 s: it moves the watermark to W + 10 s, the
 *      window's end, so the window closes as soon as it is consumed —
 *      windows close on event time, and this is what a steady stream does;
 *   4. the latency is the receiver's arrival time of the firing alert for
 *      SPKnnn minus t0 (both CLOCK_REALTIME ms on this machine).
 * The bound is window close + batch wait + 250 ms, where window close is
 * the processing time from t0 to producing the clock message (the moment
 * the window can close; ~0 here). p99 over the bound is `vs_target` (a
 * fixed allowance, not a peer measured in the same run, so not a
 * `ratio`). One warm-up spike first is not counted.
 *
 * The consumer's fetch.wait.max.ms is set to 10 ms: librdkafka's mock
 * broker does not answer a waiting fetch early when data arrives (a real
 * broker does, with fetch.min.bytes 1), so the default 500 ms would
 * measure the mock, not finsent. --fetch-wait-ms changes it. */
#include <cJSON.h>
#include <getopt.h>
#include <pthread.h>
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
#include "util/errmsg.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define SPIKE_K 5
#define WINDOW_MS 10000
#define LATENESS_MS 1000
#define SLACK_MS 250
#define WAIT_ALERT_MS 10000

static void usage(FILE *f) {
    fprintf(f,
            "usage: finsent bench e2e [--model DIR] [--spikes N] [--fetch-wait-ms MS] [--no-alert-words] [--json]\n\n"
            "Latency from producing the message that completes a negative spike to the\n"
            "local webhook receiving the alert, through a mock Kafka cluster and the\n"
            "real pipeline (10 s windows, 1 s lateness; a clock message right behind\n"
            "the spike closes its window). Prints p50, p99, max and whether p99 is\n"
            "within window close + batch wait + %d ms.\n\n"
            "  --model DIR         the model (default: $FINSENT_MODEL, else models/default)\n"
            "  --spikes N          spikes measured, after one warm-up (default 20)\n"
            "  --fetch-wait-ms MS  the consumer's fetch.wait.max.ms (default 10; the mock\n"
            "                      broker holds an empty fetch this long even when data\n"
            "                      arrives)\n"
            "  --no-alert-words    alerts without the words behind them (docs/explain.md), to\n"
            "                      measure the latency those add\n"
            "  --json              one JSON object; p99_ms / bound_ms under \"vs_target\"\n\n"
            "example:\n  finsent bench e2e --model models/default --spikes 20 --json\n",
            SLACK_MS);
}

static const char *const CONFIG_FMT =
    "{\"kafka\": {\"bootstrap.servers\": \"%s\", \"fetch.wait.max.ms\": \"%d\"},\n"
    " \"group_id\": \"finsent-bench-e2e\",\n"
    " \"inputs\": [{\"topic\": \"bench\", \"stream\": \"news\"}],\n"
    " \"model\": {\"dir\": \"%s\", \"threads\": 1, \"max_batch_wait\": \"20ms\", \"max_len\": 64},\n"
    " \"windows\": {\"size\": \"10s\", \"allowed_lateness\": \"1s\", \"idle_timeout\": \"10s\", "
    "\"keys\": [\"entity\"]},\n"
    " \"baseline\": {\"alpha\": 0.1, \"warmup_windows\": 0},\n"
    " \"rules\": [{\"name\": \"bench-spike\", \"scope\": \"entity\", \"min_count\": %d, \"min_negatives\": %d, "
    "\"severity\": \"critical\", \"repeat_interval\": \"1h\", \"resolve_after\": 2}],\n"
    " \"sinks\": [{\"name\": \"bench-receiver\", \"type\": \"webhook\", \"url\": \"%s\", \"timeout\": \"5s\", "
    "\"give_up_after\": \"30s\"}],\n"
    " \"outbox\": {\"dir\": \"%s/outbox\"},\n"
    " \"metrics\": {\"listen\": \"\"},\n"
    " \"log\": {\"level\": \"error\"}}\n";

typedef struct e2e_run {
    service *s;
    pipeline *p;
    http_server *hook;
    bench_producer *prod;
    char **neg, **neutral; /* texts the model labels so */
    int n_neg, n_neutral;
    int spikes;             /* measured, after the warm-up */
    int64_t base_ms;        /* event time of the first window */
    double *lat_ms, *close_ms;
    int done;               /* spikes measured */
    char err[256];
    volatile sig_atomic_t stop; /* the pipeline's */
} e2e_run;

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n). */
static double percentile(const double *v, int n, double q) {
    int k = (int)(q * n + 0.999999);
    if (k < 1) k = 1;
    if (k > n) k = n;
    return v[k - 1];
}

static int produce(e2e_run *r, int64_t ts, const char *text, const char *entity, long id) {
    cJSON *o = cJSON_CreateObject();
    char idbuf[32];
    snprintf(idbuf, sizeof idbuf, "e2e-%ld", id);
    cJSON_AddStringToObject(o, "id", idbuf);
    cJSON_AddNumberToObject(o, "ts", (double)ts);
    cJSON_AddStringToObject(o, "text", text);
    cJSON *ents = cJSON_AddArrayToObject(o, "entities");
    cJSON_AddItemToArray(ents, cJSON_CreateString(entity));
    char *payload = cJSON_PrintUnformatted(o);
    int rc = bench_produce(r->prod, "bench", payload);
    free(payload);
    cJSON_Delete(o);
    return rc;
}

/* Index of the first recorded request from `from` on that is a firing
 * alert for entity, or -1; *at_ms gets its arrival time. */
static int find_alert(http_server *hook, int from, const char *entity, int64_t *at_ms) {
    int n = hs_count(hook);
    for (int i = from; i < n; i++) {
        hs_request q;
        if (hs_get(hook, i, &q) < 0) continue;
        cJSON *a = cJSON_ParseWithLength(q.body ? q.body : "", q.body_len);
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(a, "status");
        const cJSON *key = cJSON_GetObjectItemCaseSensitive(a, "key");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(key, "name");
        int hit = cJSON_IsString(st) && strcmp(st->valuestring, "firing") == 0 && cJSON_IsString(name) &&
                  strstr(name->valuestring, entity) != NULL;
        *at_ms = q.at_ms;
        cJSON_Delete(a);
        hs_request_clear(&q);
        if (hit) return i;
    }
    return -1;
}

/* Drives the spikes (its own thread: the pipeline runs on the main one). */
static void *driver(void *arg) {
    e2e_run *r = arg;
    long id = 0;
    int seen = 0;
    for (int k = 0; k <= r->spikes && !signals_stop; k++) {
        char entity[16];
        snprintf(entity, sizeof entity, "SPK%03d", k);
        int64_t w = r->base_ms + (int64_t)k * 2 * WINDOW_MS;
        for (int j = 0; j < SPIKE_K - 1; j++)
            if (produce(r, w + 1000 * (j + 1), r->neg[(k + j) % r->n_neg], entity, id++) < 0) goto fail_produce;
        if (bench_producer_flush(r->prod, 10000) != 0) goto fail_produce;
        /* the earlier spikes' messages and clock messages, and these */
        int64_t want = (int64_t)k * (SPIKE_K + 1) + SPIKE_K - 1;
        int64_t deadline = time_mono_ns() + (k == 0 ? 60000 : 10000) * 1000000LL;
        while (pipeline_get_stats(r->p).aggregated < want && time_mono_ns() < deadline && !signals_stop)
            usleep(1000);
        if (pipeline_get_stats(r->p).aggregated < want) {
            err_set(r->err, sizeof r->err, "spike %d: the pipeline did not count its first %d messages", k,
                    SPIKE_K - 1);
            break;
        }
        int64_t t0 = time_now_ms();
        if (produce(r, w + 1000 * SPIKE_K, r->neg[(k + SPIKE_K - 1) % r->n_neg], entity, id++) < 0) goto fail_produce;
        int64_t t_close = time_now_ms();
        if (produce(r, w + WINDOW_MS + LATENESS_MS, r->neutral[k % r->n_neutral], "CLOCK", id++) < 0)
            goto fail_produce;
        int64_t at = 0, until = time_mono_ns() + WAIT_ALERT_MS * 1000000LL;
        int hit;
        while ((hit = find_alert(r->hook, seen, entity, &at)) < 0 && time_mono_ns() < until && !signals_stop)
            usleep(500);
        if (hit < 0) {
            err_set(r->err, sizeof r->err, "spike %d: no alert for %s within %d ms", k, entity, WAIT_ALERT_MS);
            break;
        }
        seen = hit + 1;
        if (k > 0) {
            r->lat_ms[r->done] = (double)(at - t0);
            r->close_ms[r->done] = (double)(t_close - t0);
            r->done++;
        }
    }
    r->stop = 1;
    return NULL;
fail_produce:
    err_set(r->err, sizeof r->err, "cannot produce to the mock cluster");
    r->stop = 1;
    return NULL;
}

/* Texts from the demo feed the model labels negative (p_negative >= 0.6)
 * and neutral, without cashtags (so that no other entity is keyed). */
static void pick_texts(e2e_run *r, classifier *cls) {
    bench_mix *mix = bench_mix_new();
    ingest_options io = {0};
    long n = bench_mix_size(mix);
    r->neg = xcalloc((size_t)n, sizeof *r->neg);
    r->neutral = xcalloc((size_t)n, sizeof *r->neutral);
    char err[256];
    for (long i = 0; i < n; i += 64) {
        event *ev[64];
        int k = 0;
        for (long j = i; j < n && k < 64; j++) {
            const char *topic;
            char *payload = bench_mix_payload(mix, j, -1, &topic);
            decode_msg dm = {payload, strlen(payload), topic, 0, j, -1};
            decode_result res;
            event *e = decode_message(&io, NULL, &dm, &res);
            free(payload);
            if (e && !strchr(e->text, '$'))
                ev[k++] = e;
            else
                event_free(e);
        }
        if (k && cls_score_events(cls, ev, k, err, sizeof err) == 0)
            for (int j = 0; j < k; j++) {
                if (strcmp(ev[j]->sentiment.label, "negative") == 0 && ev[j]->p_negative >= 0.6f)
                    r->neg[r->n_neg++] = xstrdup(ev[j]->text);
                else if (strcmp(ev[j]->sentiment.label, "neutral") == 0)
                    r->neutral[r->n_neutral++] = xstrdup(ev[j]->text);
            }
        for (int j = 0; j < k; j++) event_free(ev[j]);
    }
    bench_mix_free(mix);
}

static void expect(const char *topic, int32_t partition, void *ud) { pipeline_expect_partition(ud, topic, partition); }

int bench_e2e(int argc, char **argv) {
    static const struct option opts[] = {
        {"model", required_argument, NULL, 'm'},         {"spikes", required_argument, NULL, 'n'},
        {"fetch-wait-ms", required_argument, NULL, 'f'}, {"json", no_argument, NULL, 'j'},
        {"no-alert-words", no_argument, NULL, 'w'},      {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *model_flag = NULL;
    int spikes = 20, fetch_wait = 10, json = 0, flags = 0, c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'm': model_flag = optarg; break;
        case 'n':
            spikes = (int)strtol(optarg, &end, 10);
            if (*end || spikes < 1 || spikes > 1000)
                return cli_usage_error("bench e2e", "--spikes: expected 1..1000, got \"%s\"", optarg);
            break;
        case 'f':
            fetch_wait = (int)strtol(optarg, &end, 10);
            if (*end || fetch_wait < 0 || fetch_wait > 10000)
                return cli_usage_error("bench e2e", "--fetch-wait-ms: expected 0..10000, got \"%s\"", optarg);
            break;
        case 'j': json = 1; break;
        case 'w': flags |= SERVICE_NO_ALERT_WORDS; break;
        case 'h': usage(stdout); return 0;
        default: return cli_usage_error("bench e2e", "unknown option");
        }
    }
    if (optind < argc) return cli_usage_error("bench e2e", "unexpected argument \"%s\"", argv[optind]);
    const char *model = bench_model_dir(model_flag);
    if (!model) return cli_usage_error("bench e2e", "no model found: pass --model DIR or set FINSENT_MODEL");
    signals_install();

    char dir[64] = "", err[512];
    int rc = 1;
    ingest_mock *mock = NULL;
    http_server *hook = NULL;
    service s;
    int s_open = 0;
    ingest_options io = {0};
    ingest_consumer *ic = NULL;
    e2e_run r = {.spikes = spikes};
    if (bench_tmpdir(dir, sizeof dir) < 0) {
        cli_fail("bench e2e", "cannot create a temporary directory");
        goto out;
    }
    mock = ingest_mock_new(1, err, sizeof err);
    if (!mock || ingest_mock_topic(mock, "bench", 1) < 0) {
        cli_fail("bench e2e", "mock cluster: %s", mock ? "cannot create topic bench" : err);
        goto out;
    }
    hook = hs_start(NULL);
    if (!hook) {
        cli_fail("bench e2e", "cannot start the webhook receiver on 127.0.0.1");
        goto out;
    }
    char *url = hs_url(hook, "/alerts");
    char *text = xasprintf(CONFIG_FMT, ingest_mock_bootstraps(mock), fetch_wait, model, SPIKE_K, SPIKE_K, url, dir);
    char *path = xasprintf("%s/e2e.json", dir);
    int wrote = bench_write_file(path, text);
    free(url);
    free(text);
    if (wrote < 0 || service_open(&s, path, model, NULL, flags, NULL, err, sizeof err) < 0) {
        cli_fail("bench e2e", "%s", wrote < 0 ? "cannot write the config" : err);
        free(path);
        goto out;
    }
    free(path);
    s_open = 1;
    pick_texts(&r, s.cls);
    if (r.n_neg < SPIKE_K || r.n_neutral < 1) {
        cli_fail("bench e2e", "the model labels too few demo texts negative (%d) or neutral (%d)", r.n_neg,
                 r.n_neutral);
        goto out;
    }
    wire_ingest(&s.cfg, &io);
    ic = ingest_open(&io, err, sizeof err);
    r.prod = ic ? bench_producer_new(ingest_mock_bootstraps(mock), 0, err, sizeof err) : NULL;
    if (!r.prod) {
        cli_fail("bench e2e", "%s", err);
        goto out;
    }
    r.s = &s;
    r.hook = hook;
    r.base_ms = time_now_ms() / WINDOW_MS * WINDOW_MS;
    r.lat_ms = xcalloc((size_t)spikes, sizeof *r.lat_ms);
    r.close_ms = xcalloc((size_t)spikes, sizeof *r.close_ms);

    pl_options po = service_pipeline_options(&s);
    pl_source src = source_kafka(ic);
    r.p = pipeline_start(&po, &src);
    ingest_list_partitions(ic, expect, r.p, 5000);
    pthread_t t;
    pthread_create(&t, NULL, driver, &r);
    int prc = pipeline_run(r.p, &r.stop);
    pthread_join(t, NULL);
    pipeline_free(r.p);
    if (prc != 0 || r.err[0] || r.done == 0) {
        cli_fail("bench e2e", "%s", r.err[0] ? r.err : prc ? "classification failed" : "interrupted");
        goto out;
    }

    double *sorted = xmalloc(sizeof *sorted * (size_t)r.done);
    memcpy(sorted, r.lat_ms, sizeof *sorted * (size_t)r.done);
    qsort(sorted, (size_t)r.done, sizeof *sorted, cmp_double);
    double close_max = 0, mean = 0;
    for (int i = 0; i < r.done; i++) {
        if (r.close_ms[i] > close_max) close_max = r.close_ms[i];
        mean += r.lat_ms[i] / r.done;
    }
    double p50 = percentile(sorted, r.done, 0.50), p99 = percentile(sorted, r.done, 0.99),
           mx = sorted[r.done - 1];
    double batch_wait = (double)s.cfg.model.max_batch_wait_ms;
    double bound = close_max + batch_wait + SLACK_MS;
    if (json) {
        printf("{\"benchmark\":\"e2e\",\"model\":\"%s\",\"spikes\":%d,\"messages_per_spike\":%d,\"window_ms\":%d,"
               "\"lateness_ms\":%d,\"fetch_wait_max_ms\":%d,\"p50_ms\":%.1f,\"p99_ms\":%.1f,\"max_ms\":%.1f,"
               "\"mean_ms\":%.1f,\"window_close_ms\":%.1f,\"batch_wait_ms\":%.0f,\"slack_ms\":%d,\"bound_ms\":%.1f,"
               "\"within_bound\":%s,\"vs_target\":%.4f,\"alert_words\":%s,\"latencies_ms\":[",
               model, r.done, SPIKE_K, WINDOW_MS, LATENESS_MS, fetch_wait, p50, p99, mx, mean, close_max, batch_wait,
               SLACK_MS, bound, p99 <= bound ? "true" : "false", p99 / bound, flags ? "false" : "true");
        for (int i = 0; i < r.done; i++) printf("%s%.0f", i ? "," : "", r.lat_ms[i]);
        printf("]}\n");
    } else {
        printf("e2e bench: model %s, %d spikes of %d messages (after one warm-up), 10 s windows, "
               "fetch.wait.max.ms %d\n",
               model, r.done, SPIKE_K, fetch_wait);
        printf("  completing message produced -> alert received at the webhook\n");
        printf("  p50 %.0f ms, p99 %.0f ms, max %.0f ms, mean %.1f ms\n", p50, p99, mx, mean);
        printf("  bound: window close %.0f ms + batch wait %.0f ms + %d ms = %.0f ms; p99 %s (vs target %.2f)\n",
               close_max, batch_wait, SLACK_MS, bound, p99 <= bound ? "within" : "NOT within", p99 / bound);
    }
    free(sorted);
    rc = 0;
out:
    bench_producer_free(r.prod);
    if (ic) ingest_close(ic, 5000);
    ingest_options_free(&io);
    if (s_open) service_close(&s);
    for (int i = 0; i < r.n_neg; i++) free(r.neg[i]);
    for (int i = 0; i < r.n_neutral; i++) free(r.neutral[i]);
    free(r.neg);
    free(r.neutral);
    free(r.lat_ms);
    free(r.close_ms);
    hs_stop(hook);
    ingest_mock_free(mock);
    bench_rmdir(dir);
    return rc;
}
