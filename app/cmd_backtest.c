/* cmd_backtest — `finsent backtest`: replays a feed with the config's rules,
 * delivers nothing, prints what would have fired, and writes a
 * self-contained HTML report with charts (app/report.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/backtest_collect.h"
#include "app/commands.h"
#include "app/config.h"
#include "app/replay_common.h"
#include "app/report.h"
#include "ingest/decode.h"
#include "util/cfgschema.h"
#include "util/xalloc.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: finsent backtest --config FILE --file FEED [--report out.html] [--stream NAME]\n"
            "                        [--model DIR]\n\n"
            "Replays FEED through the config's windows and rules without delivering\n"
            "anything: each alert that would have fired is printed on stdout as one\n"
            "JSON line, a summary goes to stderr, and --report writes a self-contained\n"
            "HTML page (no network) with per-key charts of volume and negative share,\n"
            "the baseline band, alert markers and a table of alerts.\n\n"
            "  --config FILE   the rules and windows to test (see docs/config.md)\n"
            "  --file FEED     JSON lines or .csv, as for 'finsent replay'\n"
            "  --report FILE   where to write the HTML report\n"
            "  --stream NAME   the input bare messages belong to (default: the first)\n"
            "  --model DIR     override model.dir\n\n"
            "example:\n"
            "  finsent backtest --config configs/finsent.json --file app/demo/feed.jsonl --report bt.html\n");
}

static const char *scope_name(int s) {
    static const char *names[] = {"global", "topic", "entity", "entity_topic"};
    return s >= 0 && s < 4 ? names[s] : "?";
}

static const char *severity_name(int s) {
    static const char *names[] = {"info", "warning", "critical"};
    return s >= 0 && s < 3 ? names[s] : "?";
}

/* "count ≥ 6 and negatives ≥ 5 and negatives ≥ 4× baseline" (caller frees) */
static char *conditions(const fs_rule *r) {
    char buf[512] = "";
    size_t n = 0;
#define ADD(...) n += (size_t)snprintf(buf + n, sizeof buf - n, "%s", n ? " and " : ""), \
                 n += (size_t)snprintf(buf + n, sizeof buf - n, __VA_ARGS__)
    if (r->min_count) ADD("count ≥ %d", r->min_count);
    if (r->min_negatives) ADD("negatives ≥ %d", r->min_negatives);
    if (r->min_negative_share > 0) ADD("negative share ≥ %.0f%%", 100 * r->min_negative_share);
    if (r->zscore > 0) ADD("share ≥ baseline + %gσ", r->zscore);
    if (r->ratio > 0) ADD("negatives ≥ %g× baseline", r->ratio);
#undef ADD
    return xstrdup(buf);
}

static int write_report(const char *path, const char *config, const char *feed, const fs_config *cfg,
                        bt_collect *col, const replay_result *res) {
    report_data d;
    report_data_init(&d);
    d.feed = feed;
    d.config = config;
    char size[32], lateness[32];
    cfg_format_duration(cfg->windows.size_ms, size, sizeof size);
    cfg_format_duration(cfg->windows.allowed_lateness_ms, lateness, sizeof lateness);
    char *settings = xasprintf("%s %s windows · lateness %s · EWMA α=%g, warm-up %d windows, robust k=%g · "
                               "sentiment labels %s (%lld events not counted)",
                               size, cfg->windows.advance_ms == cfg->windows.size_ms ? "tumbling" : "hopping",
                               lateness, cfg->baseline.alpha, cfg->baseline.warmup_windows, cfg->baseline.robust_k,
                               res->sentiment_labels ? res->sentiment_labels : "?", (long long)res->alerts.bad_labels);
    d.settings = settings;
    report_rule *rules = xcalloc(cfg->rules.n + 1, sizeof *rules);
    for (size_t i = 0; i < cfg->rules.n; i++) {
        const fs_rule *r = &cfg->rules.v[i];
        rules[i] = (report_rule){r->name, scope_name(r->scope), conditions(r), severity_name(r->severity)};
    }
    d.rules = rules;
    d.n_rules = (int)cfg->rules.n;
    report_count dead[FEED_N_REASONS];
    int nd = 0;
    for (int i = 0; i < FEED_N_REASONS; i++)
        if (res->feed.dead_by_reason[i]) dead[nd++] = (report_count){feed_reason_name(i), res->feed.dead_by_reason[i]};
    d.totals = (report_totals){
        .messages = res->feed.lines,
        .dead_letters = dead,
        .n_dead_letters = nd,
        .late_events = res->alerts.late_events,
        .alerts_fired = res->alerts.fired,
        .alerts_resolved = res->alerts.resolved,
    };
    d.series = bt_collect_series(col, &d.n_series);
    char err[512];
    int rc = report_write_file(path, &d, err, sizeof err);
    if (rc < 0) fprintf(stderr, "finsent backtest: %s\n", err);
    for (int i = 0; i < d.n_rules; i++) free((char *)rules[i].conditions);
    free(rules);
    free(settings);
    return rc < 0 ? 1 : 0;
}

int cmd_backtest(int argc, char **argv) {
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"file", required_argument, NULL, 'f'},
        {"report", required_argument, NULL, 'r'}, {"stream", required_argument, NULL, 'S'},
        {"model", required_argument, NULL, 'm'},  {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    replay_args ra = {.dry_run = 1};
    const char *report = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': ra.config = optarg; break;
        case 'f': ra.file = optarg; break;
        case 'r': report = optarg; break;
        case 'S': ra.stream = optarg; break;
        case 'm': ra.model = optarg; break;
        case 'h': usage(stdout); return 0;
        default: return cli_usage_error("backtest", "unknown option");
        }
    }
    if (optind < argc) return cli_usage_error("backtest", "unexpected argument \"%s\"", argv[optind]);
    if (!ra.config) return cli_usage_error("backtest", "--config FILE is required");
    if (!ra.file) return cli_usage_error("backtest", "--file FEED is required");
    fs_config cfg;
    char err[512];
    if (cfg_load(ra.config, &cfg, err, sizeof err) < 0) {
        fprintf(stderr, "finsent backtest: %s\n", err);
        return 2;
    }
    char outbox[] = "/tmp/finsent-backtest.XXXXXX";
    if (!mkdtemp(outbox)) {
        cfg_free(&cfg);
        return cli_fail("backtest", "cannot create a temporary directory");
    }
    ra.outbox = outbox;
    bt_collect *col = bt_collect_new();
    replay_result res = {0};
    int rc = replay_run("backtest", &ra, bt_collect_observer(col), &res);
    if (rc == 0 && report) {
        rc = write_report(report, ra.config, ra.file, &cfg, col, &res);
        if (rc == 0) fprintf(stderr, "finsent backtest: report written to %s\n", report);
    }
    char *rm = xasprintf("rm -rf '%s'", outbox);
    if (system(rm) != 0) fprintf(stderr, "finsent backtest: could not remove %s\n", outbox);
    free(rm);
    bt_collect_free(col);
    free(res.sentiment_labels);
    cfg_free(&cfg);
    return rc;
}
