/* cmd_run — `finsent run`: the service. Consumes the configured topics,
 * classifies, aggregates, alerts; commits offsets only for events whose
 * windows have closed and whose alerts are in the outbox; serves /metrics,
 * /healthz and /readyz; drains and commits on SIGINT/SIGTERM. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "app/commands.h"
#include "app/ops_metrics.h"
#include "app/reload.h"
#include "app/service.h"
#include "app/signals.h"
#include "app/sources.h"
#include "ingest/consumer.h"
#include "util/log.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: finsent run --config FILE [--role all] [--model DIR]\n\n"
            "The service: consumes the configured Kafka topics in a consumer group,\n"
            "classifies each message (topic and sentiment), aggregates over event-time\n"
            "windows per entity and topic, and delivers alerts through the durable\n"
            "outbox to the configured sinks. Offsets are committed only for messages\n"
            "whose windows have closed and whose alerts are durable. Serves Prometheus\n"
            "metrics, /healthz and /readyz on metrics.listen. SIGINT/SIGTERM drain and\n"
            "commit; a second signal exits at once. SIGHUP re-reads FILE and applies its\n"
            "rules, silences and sinks (open alerts, windows and pending deliveries\n"
            "are kept; an invalid file is rejected and the running config stays; other\n"
            "sections need a restart).\n\n"
            "  --config FILE   the service config (see docs/config.md)\n"
            "  --role ROLE     all (default): one process does everything; the split\n"
            "                  roles classify and aggregate are not built yet\n"
            "  --model DIR     override model.dir\n\n"
            "example:\n"
            "  FINSENT_WEBHOOK_SECRET=... finsent run --config configs/finsent.json\n");
}

/* The aggregation loop's hook: a SIGHUP is served here, on the thread that
 * owns the alerts engine. */
static void on_loop(void *ud) {
    if (!signals_reload) return;
    signals_reload = 0;
    reload_apply(ud);
}

static void expect(const char *topic, int32_t partition, void *ud) { pipeline_expect_partition(ud, topic, partition); }

int cmd_run(int argc, char **argv) {
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"role", required_argument, NULL, 'r'},
        {"model", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *model = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'm': model = optarg; break;
        case 'r':
            if (strcmp(optarg, "all") == 0) break;
            if (strcmp(optarg, "classify") == 0 || strcmp(optarg, "aggregate") == 0) {
                fprintf(stderr, "finsent run: --role %s is not built yet (see README, Limits)\n", optarg);
                return 2;
            }
            return cli_usage_error("run", "--role: expected all, classify or aggregate, got \"%s\"", optarg);
        case 'h': usage(stdout); return 0;
        default: return cli_usage_error("run", "unknown option");
        }
    }
    if (optind < argc) return cli_usage_error("run", "unexpected argument \"%s\"", argv[optind]);
    if (!config) return cli_usage_error("run", "--config FILE is required");

    service s;
    char err[512];
    if (service_open(&s, config, model, NULL, SERVICE_METRICS, NULL, err, sizeof err) < 0) {
        fprintf(stderr, "finsent run: %s\n", err);
        return 2;
    }
    if (s.cfg.inputs.n == 0) {
        service_close(&s);
        return cli_usage_error("run", "%s: inputs: expected at least one input topic to consume", config);
    }
    ingest_options io = {0};
    wire_ingest(&s.cfg, &io);
    ingest_consumer *ic = ingest_open(&io, err, sizeof err);
    if (!ic) {
        fprintf(stderr, "finsent run: %s\n", err);
        ingest_options_free(&io);
        service_close(&s);
        return 2;
    }
    signals_install();
    signals_install_reload();
    pl_options po = service_pipeline_options(&s);
    po.on_loop = on_loop;
    po.loop_ud = &s;
    pl_source src = source_kafka(ic);
    pipeline *p = pipeline_start(&po, &src);
    s.on_late = pipeline_on_late;
    s.late_ud = p;
    ingest_list_partitions(ic, expect, p, 5000);
    if (s.http) {
        http_endpoint_add_collector(s.http, pipeline_collect, p);
        http_endpoint_add_collector(s.http, ops_collect_ingest, ic);
        http_endpoint_add_collector(s.http, ops_collect_webhook, s.alerts);
        http_endpoint_add_collector(s.http, reload_collect, &s);
        http_endpoint_set_ready(s.http, 1);
        log_info("run", "metrics on http://127.0.0.1:%d/metrics", http_endpoint_port(s.http));
    }
    log_info("run", "consuming %zu input topic(s) as group %s", s.cfg.inputs.n, s.cfg.group_id);
    int rc = pipeline_run(p, &signals_stop);
    if (s.http) http_endpoint_set_ready(s.http, 0);
    pl_stats st = pipeline_get_stats(p);
    ingest_metrics im;
    ingest_metrics_get(ic, &im);
    pipeline_free(p);
    if (ingest_close(ic, 10000) != 0) log_warn("run", "closed with messages in flight; they will be read again");
    service_print_summary(&s, &st, (long)im.dead_lettered);
    ingest_options_free(&io);
    service_close(&s);
    return rc;
}
