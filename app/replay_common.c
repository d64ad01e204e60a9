/* replay_common — feed replay shared by replay and backtest; see
 * replay_common.h. */
#include "app/replay_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/payload.h"
#include "app/commands.h"
#include "app/service.h"
#include "app/signals.h"
#include "app/sources.h"
#include "util/log.h"

int replay_parse_speed(const char *s, double *speed) {
    if (strcmp(s, "max") == 0) {
        *speed = 0;
        return 0;
    }
    char *end;
    double v = strtod(s, &end);
    if (end == s || strcmp(end, "x") != 0 || !(v > 0) || v > 1e9) return -1;
    *speed = v;
    return 0;
}

/* Prints every alert as the generic JSON body, then calls the caller's. */
typedef struct print_ctx {
    const alerts_observer *inner;
    int quiet;
} print_ctx;

static void print_alert(const alert *al, void *ud) {
    print_ctx *pc = ud;
    if (!pc->quiet) {
        char *body = payload_alert_json(al);
        printf("%s\n", body);
        fflush(stdout);
        free(body);
    }
    if (pc->inner && pc->inner->on_alert) pc->inner->on_alert(al, pc->inner->ud);
}

static void pass_window(const win_result *r, const bl_state *b, int ready, void *ud) {
    print_ctx *pc = ud;
    if (pc->inner && pc->inner->on_window) pc->inner->on_window(r, b, ready, pc->inner->ud);
}

static void on_dead(long line, const char *reason, const char *detail, void *ud) {
    (void)ud;
    log_warn("replay", "line %ld dead-lettered (%s): %s", line, reason, detail);
}

static void expect(const char *topic, int32_t partition, void *ud) { pipeline_expect_partition(ud, topic, partition); }

/* The source the arguments name: a feed file or Kafka history. */
typedef struct replay_source {
    feed_source fs;
    kafka_replay_source ks;
    pl_source src;
} replay_source;

static int open_source(const char *cmd, const replay_args *a, const ingest_options *io, replay_source *rs) {
    char err[512];
    memset(rs, 0, sizeof *rs);
    if (a->file) {
        rs->fs.f = feed_open(a->file, io, a->stream, a->speed, on_dead, NULL, err, sizeof err);
        rs->src = source_feed(&rs->fs);
        if (rs->fs.f) return 0;
    } else {
        rs->ks.r = a->offsets ? replay_kafka_open_offsets(io, a->offsets, a->speed, err, sizeof err)
                              : replay_kafka_open_time(io, a->from_ms, a->to_ms, a->speed, err, sizeof err);
        rs->src = source_kafka_replay(&rs->ks);
        if (rs->ks.r) return 0;
    }
    fprintf(stderr, "finsent %s: %s\n", cmd, err);
    return -1;
}

static feed_counts source_counts(const replay_source *rs) {
    if (rs->fs.f) return feed_get_counts(rs->fs.f);
    feed_counts fc = {.dead = rs->ks.dead};
    memcpy(fc.dead_by_reason, rs->ks.dead_by_reason, sizeof rs->ks.dead_by_reason);
    return fc;
}

int replay_run(const char *cmd, const replay_args *a, const alerts_observer *observer, replay_result *res) {
    print_ctx pc = {observer, a->quiet};
    alerts_observer obs = {.on_window = pass_window, .on_alert = print_alert, .ud = &pc};
    service s;
    char err[512];
    int flags = (a->dry_run ? SERVICE_NO_SINKS : 0) | (a->no_alert_words ? SERVICE_NO_ALERT_WORDS : 0);
    if (service_open(&s, a->config, a->model, a->outbox, flags, &obs, err, sizeof err) < 0) {
        fprintf(stderr, "finsent %s: %s\n", cmd, err);
        return 2;
    }
    ingest_options io = {0};
    wire_ingest(&s.cfg, &io);
    replay_source rs;
    if (open_source(cmd, a, &io, &rs) < 0) {
        ingest_options_free(&io);
        service_close(&s);
        return 2;
    }
    signals_install();
    pl_options po = service_pipeline_options(&s);
    po.flush_at_end = 1;
    po.drain_ms = a->dry_run ? 0 : 30000;
    pipeline *p = pipeline_start(&po, &rs.src);
    s.on_late = pipeline_on_late;
    s.late_ud = p;
    if (rs.ks.r) replay_kafka_partitions(rs.ks.r, expect, p);
    int rc = pipeline_run(p, &signals_stop);
    pl_stats st = pipeline_get_stats(p);
    pipeline_free(p);
    feed_counts fc = source_counts(&rs);
    if (!rs.fs.f) fc.events = fc.lines = (long)st.events_in + fc.dead;
    service_print_summary(&s, &st, fc.dead);
    if (res) {
        res->feed = fc;
        res->alerts = alerts_get_metrics(s.alerts);
        res->classified = st.classified;
        res->seconds = st.seconds;
        res->words = aw_get_stats(s.words);
        int h = cls_sentiment_head(s.cls);
        res->sentiment_labels = lm_describe(s.labels, (const char *const *)cls_get_model(s.cls)->cfg.heads[h].labels,
                                            cls_head_n_labels(s.cls, h));
    }
    if (rs.fs.io_error) rc = cli_fail(cmd, "%s: read error", a->file);
    if (rs.ks.error) rc = cli_fail(cmd, "reading Kafka history failed (see the log)");
    feed_close(rs.fs.f);
    replay_kafka_close(rs.ks.r);
    ingest_options_free(&io);
    service_close(&s);
    return rc;
}
