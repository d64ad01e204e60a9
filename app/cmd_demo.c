/* cmd_demo — `finsent demo`: the whole product on one laptop in a minute.
 *
 * Starts an in-process Kafka-protocol cluster (librdkafka's mock cluster on
 * 127.0.0.1), publishes a bundled feed (a simulated trading day with
 * planted negative spikes, in English or, with --feed zh, in Chinese), runs the same pipeline as `finsent run`
 * with the default model at full speed, delivers signed alerts to a local
 * webhook receiver that prints them, and ends with a summary. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/commands.h"
#include "app/demo_assets.h"
#include "app/demo_publish.h"
#include "app/demo_receiver.h"
#include "app/ops_metrics.h"
#include "app/service.h"
#include "app/signals.h"
#include "app/sources.h"
#include "ingest/consumer.h"
#include "ingest/decode.h"
#include "ingest/mock_cluster.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: finsent demo [--feed en|zh] [--model DIR] [--keep-running]\n\n"
            "Runs finsent end to end on its embedded default: an in-process Kafka\n"
            "cluster on 127.0.0.1, a bundled feed, the default model, and a local\n"
            "webhook receiver that verifies each alert's signature and prints it.\n"
            "Ends with a summary.\n\n"
            "  --feed en|zh     en (default): a simulated trading day of news and comments\n"
            "                   about eight fictional companies, with negative spikes on\n"
            "                   Harbor Bancorp, on oil, and on Quillon Medical; model\n"
            "                   models/default, config configs/demo.json.\n"
            "                   zh: a simulated A-share day of Chinese news and forum posts\n"
            "                   (股吧 / 微博) about six fictional companies, named in\n"
            "                   unsegmented text, by Xueqiu tags and by codes, with a\n"
            "                   negative spike on 澜岳银行 (SH609801); model\n"
            "                   models/default-zh, config configs/demo-zh.json\n"
            "  --model DIR      the model (default: $FINSENT_MODEL, else the feed's model\n"
            "                   beside the binary or in the current directory)\n"
            "  --keep-running   stay up after the summary (until Ctrl-C) so that the\n"
            "                   cluster can be poked with kcat: topics news, comments,\n"
            "                   finsent.deadletter, finsent.alerts\n\n"
            "examples:\n"
            "  make demo\n"
            "  finsent demo --feed zh\n");
}

/* A bundled demo: its feed, config and default model. */
typedef struct demo_kind {
    const char *name, *model;
    const char *(*feed)(size_t *len);
    const char *(*config)(size_t *len);
} demo_kind;

static const demo_kind demo_kinds[] = {
    {"en", "models/default", demo_feed, demo_config},
    {"zh", "models/default-zh", demo_feed_zh, demo_config_zh},
};

/* First existing model directory among the usual places for the default
 * model dflt ("models/default"); NULL if none. */
static const char *find_model(const char *flag, const char *dflt, char *buf, size_t len) {
    if (flag) return flag;
    const char *env = getenv("FINSENT_MODEL");
    if (env && *env) return env;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        const char *up[] = {"", "../"};
        for (int i = 0; i < 2; i++) {
            char *cfg = xasprintf("%s/%s%s/config.json", exe, up[i], dflt);
            int found = access(cfg, R_OK) == 0 && strlen(cfg) < len;
            if (found) snprintf(buf, len, "%.*s", (int)(strlen(cfg) - strlen("/config.json")), cfg);
            free(cfg);
            if (found) return buf;
        }
    }
    snprintf(buf, len, "%s/config.json", dflt);
    if (access(buf, R_OK) == 0) return snprintf(buf, len, "%s", dflt), buf;
    return NULL;
}

static void expect(const char *topic, int32_t partition, void *ud) { pipeline_expect_partition(ud, topic, partition); }

typedef struct demo_env {
    ingest_mock *mock;
    http_server *receiver;
    char dir[64];
} demo_env;

/* Starts the cluster and receiver, writes kind's config; 0 or -1 (printed). */
static int demo_setup(demo_env *d, const demo_kind *kind, char *config_path, size_t len) {
    char err[256];
    snprintf(d->dir, sizeof d->dir, "/tmp/finsent-demo.XXXXXX");
    if (!mkdtemp(d->dir)) return cli_fail("demo", "cannot create a temporary directory"), -1;
    d->mock = ingest_mock_new(3, err, sizeof err);
    if (!d->mock) return cli_fail("demo", "mock cluster: %s", err), -1;
    const char *topics[][2] = {{"news", "3"}, {"comments", "3"}, {"finsent.deadletter", "1"}, {"finsent.alerts", "1"}};
    for (int i = 0; i < 4; i++) ingest_mock_topic(d->mock, topics[i][0], atoi(topics[i][1]));
    char secret[40];
    snprintf(secret, sizeof secret, "demo-%llx", (unsigned long long)time_mono_ns());
    d->receiver = demo_receiver_start(secret);
    if (!d->receiver) return cli_fail("demo", "cannot start the local webhook receiver on 127.0.0.1"), -1;
    char *url = hs_url(d->receiver, "/alerts");
    char *outbox = xasprintf("%s/outbox", d->dir);
    setenv("FINSENT_DEMO_BROKERS", ingest_mock_bootstraps(d->mock), 1);
    setenv("FINSENT_DEMO_WEBHOOK", url, 1);
    setenv("FINSENT_DEMO_SECRET", secret, 1);
    setenv("FINSENT_DEMO_OUTBOX", outbox, 1);
    free(url);
    free(outbox);
    snprintf(config_path, len, "%s/demo.json", d->dir);
    size_t n;
    const char *cfg = kind->config(&n);
    FILE *f = fopen(config_path, "w");
    if (!f || fwrite(cfg, 1, n, f) != n || fclose(f) != 0) return cli_fail("demo", "cannot write %s", config_path), -1;
    return 0;
}

static void demo_teardown(demo_env *d) {
    hs_stop(d->receiver);
    ingest_mock_free(d->mock);
    if (d->dir[0]) {
        char *cmd = xasprintf("rm -rf '%s'", d->dir);
        if (system(cmd) != 0) log_warn("demo", "could not remove %s", d->dir);
        free(cmd);
    }
}

static void print_summary(long published, const ingest_metrics *im, const pl_stats *st, const alerts_metrics *am,
                          const aw_stats *aw, double seconds) {
    demo_received r = demo_receiver_counts();
    printf("\n== finsent demo summary ==\n");
    printf("messages published    %ld (news and comments, one simulated day)\n", published);
    printf("messages consumed     %llu\n", (unsigned long long)im->messages_in);
    printf("dead letters          %llu", (unsigned long long)im->dead_lettered);
    for (int i = 1; i < DECODE_N_REASONS; i++)
        if (im->dead_letter_by_reason[i])
            printf("  %s=%llu", decode_reason_name((enum decode_reason)i),
                   (unsigned long long)im->dead_letter_by_reason[i]);
    printf("\nevents classified     %lld in %lld batches\n", (long long)st->classified, (long long)st->batches);
    printf("windows closed        %lld\n", (long long)am->windows_closed);
    printf("alerts                %lld fired, %lld resolved\n", (long long)am->fired, (long long)am->resolved);
    printf("webhook received      %d firing + %d resolved deliveries, %d distinct ids, %d signatures valid\n",
           r.firing, r.resolved, r.distinct_ids, r.signed_ok);
    if (aw->calls)
        printf("alert words           %lld alerts explained (%lld sample texts), %.1f ms CPU per alert (%.1f ms wall)\n",
               (long long)aw->calls, (long long)aw->texts, 1e3 * aw->cpu_seconds / (double)aw->calls,
               1e3 * aw->seconds / (double)aw->calls);
    printf("throughput            %.0f events/s end to end (%.1f s)\n",
           seconds > 0 ? (double)st->classified / seconds : 0, seconds);
}

int cmd_demo(int argc, char **argv) {
    static const struct option opts[] = {
        {"feed", required_argument, NULL, 'f'},
        {"model", required_argument, NULL, 'm'},
        {"keep-running", no_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *model_flag = NULL;
    const demo_kind *kind = &demo_kinds[0];
    int keep = 0, c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            kind = NULL;
            for (size_t i = 0; i < sizeof demo_kinds / sizeof demo_kinds[0]; i++)
                if (strcmp(optarg, demo_kinds[i].name) == 0) kind = &demo_kinds[i];
            if (!kind) return cli_usage_error("demo", "--feed: expected en or zh, got \"%s\"", optarg);
            break;
        case 'm': model_flag = optarg; break;
        case 'k': keep = 1; break;
        case 'h': usage(stdout); return 0;
        default: return cli_usage_error("demo", "unknown option");
        }
    }
    if (optind < argc) return cli_usage_error("demo", "unexpected argument \"%s\"", argv[optind]);
    char model_buf[PATH_MAX];
    const char *model = find_model(model_flag, kind->model, model_buf, sizeof model_buf);
    if (!model) return cli_usage_error("demo", "no model found: pass --model DIR or set FINSENT_MODEL");

    int64_t t0 = time_mono_ns();
    demo_env d = {0};
    char config_path[128], err[512];
    if (demo_setup(&d, kind, config_path, sizeof config_path) < 0) {
        demo_teardown(&d);
        return 1;
    }
    printf("finsent demo: Kafka cluster at %s, alerts to %s\n", ingest_mock_bootstraps(d.mock),
           getenv("FINSENT_DEMO_WEBHOOK"));
    service s;
    if (service_open(&s, config_path, model, NULL, SERVICE_METRICS, NULL, err, sizeof err) < 0) {
        demo_teardown(&d);
        return cli_fail("demo", "%s", err);
    }
    size_t feed_len;
    const char *feed = kind->feed(&feed_len);
    long published = demo_publish(ingest_mock_bootstraps(d.mock), feed, feed_len, err, sizeof err);
    if (published < 0) {
        service_close(&s);
        demo_teardown(&d);
        return cli_fail("demo", "publishing the feed: %s", err);
    }
    printf("published %ld messages; model %s; metrics on http://127.0.0.1:%d/metrics\n", published, model,
           s.http ? http_endpoint_port(s.http) : 0);
    fflush(stdout);

    ingest_options io = {0};
    wire_ingest(&s.cfg, &io);
    ingest_consumer *ic = ingest_open(&io, err, sizeof err);
    if (!ic) {
        ingest_options_free(&io);
        service_close(&s);
        demo_teardown(&d);
        return cli_fail("demo", "%s", err);
    }
    signals_install();
    pl_options po = service_pipeline_options(&s);
    po.flush_at_end = 1;
    po.drain_ms = 20000;
    kafka_bounded kb = {ic, published};
    pl_source src = source_kafka_bounded(&kb);
    pipeline *p = pipeline_start(&po, &src);
    s.on_late = pipeline_on_late;
    s.late_ud = p;
    ingest_list_partitions(ic, expect, p, 5000);
    if (s.http) {
        http_endpoint_add_collector(s.http, pipeline_collect, p);
        http_endpoint_add_collector(s.http, ops_collect_ingest, ic);
        http_endpoint_add_collector(s.http, ops_collect_webhook, s.alerts);
        http_endpoint_add_collector(s.http, aw_collect, s.words);
        http_endpoint_set_ready(s.http, 1);
    }
    int rc = pipeline_run(p, &signals_stop);
    pl_stats st = pipeline_get_stats(p);
    alerts_metrics am = alerts_get_metrics(s.alerts);
    pipeline_free(p);
    ingest_metrics im;
    ingest_metrics_get(ic, &im); /* before ingest_close, which frees ic */
    ingest_close(ic, 10000);
    aw_stats aw = aw_get_stats(s.words);
    print_summary(published, &im, &st, &am, &aw, (double)(time_mono_ns() - t0) / 1e9);
    if (keep && !signals_stop) {
        printf("\nkeeping the cluster up (Ctrl-C to stop): bootstrap.servers=%s\n"
               "  kcat -b %s -C -t finsent.alerts -e\n  kcat -b %s -C -t finsent.deadletter -e\n",
               ingest_mock_bootstraps(d.mock), ingest_mock_bootstraps(d.mock), ingest_mock_bootstraps(d.mock));
        fflush(stdout);
        while (!signals_stop) sleep(1);
    }
    ingest_options_free(&io);
    service_close(&s);
    demo_teardown(&d);
    return rc;
}
