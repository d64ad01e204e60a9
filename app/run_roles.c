/* run_roles — `finsent run`'s three roles; see run_roles.h. */
#include "app/run_roles.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/commands.h"
#include "app/ops_metrics.h"
#include "app/reload.h"
#include "app/run_state.h"
#include "app/scored_sink.h"
#include "app/scored_source.h"
#include "app/service.h"
#include "app/signals.h"
#include "app/sources.h"
#include "ingest/consumer.h"
#include "ingest/scored.h"
#include "util/log.h"
#include "util/xalloc.h"

/* The aggregation loop's hook (roles all and aggregate): a SIGHUP is
 * served here, on the thread that owns the alerts engine. */
static void on_loop(void *ud) {
    if (!signals_reload) return;
    signals_reload = 0;
    reload_apply(ud);
}

/* A partition the pipeline's watermark waits for (role all). */
static void expect(const char *topic, int32_t partition, void *ud) { pipeline_expect_partition(ud, topic, partition); }

/* The aggregate role's consumer options: the scored topic through the
 * consumer group (eager rebalances) or statically assigned, decoded as
 * scored records, every assigned partition rebuilt from its beginning. */
static void aggregate_ingest(const fs_config *cfg, int instance, ingest_options *io) {
    for (size_t i = 0; i < cfg->kafka.n; i++) ingest_options_set_kafka(io, cfg->kafka.keys[i], cfg->kafka.vals[i]);
    io->group_id = cfg->aggregate.group_id[0] ? xstrdup(cfg->aggregate.group_id)
                                              : xasprintf("%s-aggregate", cfg->group_id);
    ingest_options_add_input(io, cfg->scored_topic, NULL);
    io->dead_letter_topic = cfg->dead_letter_topic[0] ? xstrdup(cfg->dead_letter_topic) : NULL;
    io->queue_capacity = cfg->ingest.queue_capacity;
    io->max_message_bytes = cfg->ingest.max_message_bytes;
    io->decode = scored_decode;
    if (cfg->aggregate.assignment == FS_AGGREGATE_STATIC) {
        io->assign_count = cfg->aggregate.instances;
        io->assign_index = instance;
    }
    io->rebuild = 1;
}

/* The aggregate role's watcher of the classify group (group_watch.h): a
 * stall is declared after half the idle timeout (at least 1.5 s), so that
 * the pairs are held before they would go idle, and a classify that works
 * slowly (it commits after each batch is produced, about every second
 * plus a batch's time) is not taken for a stopped one: every false stall
 * restarts the idle clock of the pairs it holds. NULL when nothing goes
 * idle (idle_timeout 0) or the watcher cannot be made (logged: the
 * aggregates then run as without it). */
static group_watch *classify_watch(const fs_config *cfg, const ingest_options *io) {
    int64_t idle = cfg->windows.idle_timeout_ms;
    if (idle <= 0) return NULL;
    int64_t stall = idle / 2 < 1500 ? 1500 : idle / 2;
    char err[512];
    group_watch *g = group_watch_new(io, cfg->group_id, 500, stall, err, sizeof err);
    if (!g) log_warn("run", "cannot watch the classify group %s: %s", cfg->group_id, err);
    return g;
}

static int check_role(const run_role_args *a, const fs_config *cfg) {
    if (a->role == RUN_ROLE_ALL) return 0;
    const char *name = a->role == RUN_ROLE_CLASSIFY ? "classify" : "aggregate";
    if (!cfg->scored_topic[0])
        return cli_usage_error("run", "%s: scored_topic: --role %s needs a scored topic", a->config, name);
    if (a->role == RUN_ROLE_AGGREGATE && a->instance >= cfg->aggregate.instances)
        return cli_usage_error("run", "--instance %d: expected 0 .. %d (aggregate.instances in %s)", a->instance,
                               cfg->aggregate.instances - 1, a->config);
    return 0;
}

int run_role(const run_role_args *a) {
    service s;
    char err[512];
    int flags = SERVICE_METRICS | (a->role == RUN_ROLE_AGGREGATE ? SERVICE_NO_MODEL : 0);
    if (service_open(&s, a->config, a->model, a->outbox, flags, a->observer, err, sizeof err) < 0) {
        fprintf(stderr, "finsent run: %s\n", err);
        return 2;
    }
    int rc = check_role(a, &s.cfg);
    if (rc) {
        service_close(&s);
        return rc;
    }
    if (s.cfg.inputs.n == 0) {
        service_close(&s);
        return cli_usage_error("run", "%s: inputs: expected at least one input topic to consume", a->config);
    }
    ingest_options io = {0};
    if (a->role == RUN_ROLE_AGGREGATE) aggregate_ingest(&s.cfg, a->instance, &io);
    else wire_ingest(&s.cfg, &io);
    ingest_consumer *ic = ingest_open(&io, err, sizeof err);
    if (!ic) {
        fprintf(stderr, "finsent run: %s\n", err);
        ingest_options_free(&io);
        service_close(&s);
        return 2;
    }
    scored_sink *sink = NULL;
    scored_source *ssrc = NULL;
    group_watch *watch = NULL;
    part_mute *mute = NULL;
    ckpt_store *store = NULL;
    pl_options po = service_pipeline_options(&s);
    /* checkpoints: role all, and the aggregate role with a static
     * assignment (one instance owns the same partitions on every start);
     * in group mode an assignment rebuilds from the scored topic */
    int durable = a->role == RUN_ROLE_ALL ||
                  (a->role == RUN_ROLE_AGGREGATE && s.cfg.aggregate.assignment == FS_AGGREGATE_STATIC);
    if (a->role == RUN_ROLE_AGGREGATE && !durable && s.cfg.state.enabled)
        log_info("run", "aggregate role in group mode: no checkpoints; each assignment rebuilds its partitions from "
                        "the scored topic (aggregate.assignment \"static\" has them)");
    if (durable && run_state_open(&s.cfg, a->reset_state, &store, err, sizeof err) < 0) {
        fprintf(stderr, "finsent run: %s\n", err);
        ingest_close(ic, 0);
        ingest_options_free(&io);
        service_close(&s);
        return 2;
    }
    po.ckpt = store;
    po.ack_on_close = a->role == RUN_ROLE_AGGREGATE; /* its rebuild mutes below the commit (pipeline.h) */
    po.checkpoint_interval_ms = s.cfg.state.checkpoint_interval_ms;
    pl_source src = source_kafka(ic);
    if (a->role == RUN_ROLE_CLASSIFY) {
        sink = scored_sink_open((const char *const *)s.cfg.kafka.keys, (const char *const *)s.cfg.kafka.vals,
                                (int)s.cfg.kafka.n, s.cfg.scored_topic, s.wa.opt.window.scopes, ic, err, sizeof err);
        if (!sink) {
            fprintf(stderr, "finsent run: %s\n", err);
            ingest_close(ic, 0);
            ingest_options_free(&io);
            service_close(&s);
            return 2;
        }
        po.emit = scored_sink_emit;
        po.emit_poll = scored_sink_poll;
        po.emit_ud = sink;
    } else if (a->role == RUN_ROLE_AGGREGATE) {
        mute = pm_new();
        alerts_set_mute(s.alerts, mute);
        ssrc = scored_source_new(ic, s.cfg.windows.size_ms, mute);
        if (store) scored_source_durable(ssrc);
        for (size_t i = 0; i < s.cfg.inputs.n; i++)
            ingest_list_topic_partitions(ic, s.cfg.inputs.v[i].topic, scored_source_add_input, ssrc, 5000);
        watch = classify_watch(&s.cfg, &io);
        scored_source_watch(ssrc, watch);
        src = scored_source_pl(ssrc);
    }
    signals_install();
    if (a->role != RUN_ROLE_CLASSIFY) {
        signals_install_reload();
        po.on_loop = on_loop;
        po.loop_ud = &s;
    }
    pipeline *p = pipeline_create(&po, &src);
    if (run_state_restore(store, &s.cfg, p, err, sizeof err) < 0) {
        fprintf(stderr, "finsent run: %s\n", err);
        pipeline_free(p);
        ckpt_close(store, 0);
        ingest_close(ic, 0);
        ingest_options_free(&io);
        service_close(&s);
        return 2;
    }
    pipeline_go(p);
    s.on_late = pipeline_on_late;
    s.late_ud = p;
    if (a->role == RUN_ROLE_ALL) ingest_list_partitions(ic, expect, p, 5000);
    if (s.http) {
        http_endpoint_add_collector(s.http, pipeline_collect, p);
        http_endpoint_add_collector(s.http, ops_collect_ingest, ic);
        if (a->role != RUN_ROLE_CLASSIFY) {
            http_endpoint_add_collector(s.http, ops_collect_webhook, s.alerts);
            http_endpoint_add_collector(s.http, reload_collect, &s);
            http_endpoint_add_collector(s.http, aw_collect, s.words);
            http_endpoint_set_ready_check(s.http, pipeline_ready, p);
        }
        http_endpoint_set_ready(s.http, 1);
        log_info("run", "metrics on http://127.0.0.1:%d/metrics", http_endpoint_port(s.http));
    }
    if (a->role == RUN_ROLE_AGGREGATE)
        log_info("run", "aggregate instance %d: scored topic %s, group %s (%s)", a->instance, s.cfg.scored_topic,
                 io.group_id, io.assign_count ? "static assignment" : "partitions assigned by the group");
    else
        log_info("run", "consuming %zu input topic(s) as group %s%s%s", s.cfg.inputs.n, s.cfg.group_id,
                 sink ? "; scored records to " : "", sink ? s.cfg.scored_topic : "");
    rc = pipeline_run(p, &signals_stop);
    if (s.http) http_endpoint_set_ready(s.http, 0);
    pl_stats st = pipeline_get_stats(p);
    ingest_metrics im;
    ingest_metrics_get(ic, &im);
    pipeline_free(p);
    if (sink) {
        scored_sink_stats ss = scored_sink_get_stats(sink);
        scored_sink_close(sink, 10000);
        fprintf(stderr, "finsent: classify role: %lld events scored, %lld records produced, %lld delivered\n",
                (long long)ss.events, (long long)ss.records, (long long)ss.delivered);
    }
    if (ssrc) {
        alerts_metrics am = alerts_get_metrics(s.alerts);
        fprintf(stderr,
                "finsent: aggregate role: %lld duplicate records dropped; %lld assignment(s), %lld records rebuilt "
                "in all; %lld records rebuilt in %.2f s after the last one, %lld alert transitions sent before not "
                "sent again; %lld records read again below a restored checkpoint (not counted again)\n",
                (long long)scored_source_duplicates(ssrc), (long long)scored_source_rebalances(ssrc),
                (long long)scored_source_rebuilt(ssrc), (long long)scored_source_rebuilt_last(ssrc),
                scored_source_rebuild_seconds(ssrc), (long long)am.muted, (long long)st.skipped);
    }
    if (ingest_close(ic, 10000) != 0) log_warn("run", "closed with messages in flight; they will be read again");
    ckpt_close(store, 10000);
    scored_source_free(ssrc);
    group_watch_free(watch);
    if (mute) alerts_set_mute(s.alerts, NULL);
    pm_free(mute);
    service_print_summary(&s, &st, (long)im.dead_lettered);
    ingest_options_free(&io);
    service_close(&s);
    return rc;
}
