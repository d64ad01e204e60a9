/* bench_state — `finsent bench state`: what a checkpoint of the stream
 * state costs, by number of keys.
 *
 * For each key count K, an alerts engine (15-minute tumbling windows, the
 * entity and topic scopes, 3 samples a window, the demo's rules, no
 * sinks) takes K entities × 12 windows of synthetic events (4 per key and
 * window, a quarter of them negative, some keys spiking so that alerts are
 * open), leaving baselines for every key and one open window per key.
 * Then alerts_save (the aggregation thread's part of a checkpoint: it
 * stops the pipeline for that long), the bytes, and alerts_load into a new
 * engine (what a restart waits for before it reads anything) are timed.
 * Absolute figures: there is no peer; bytes per key is the ratio that
 * matters for sizing state.dir. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alerts/alerts.h"
#include "app/commands.h"
#include "bench/bench.h"
#include "bench/bench_env.h"
#include "util/codec.h"
#include "util/log.h"
#include "util/xalloc.h"

#define WINDOW_MS (15 * 60 * 1000)
#define WINDOWS 12
#define PER_WINDOW 4

static void usage(FILE *f) {
    fprintf(f, "usage: finsent bench state [--keys N[,N...]] [--json]\n\n"
               "Checkpoint cost by number of keys: the time to serialise the stream state\n"
               "(windows, baselines, open alerts), its bytes and bytes per key, and the time\n"
               "to restore it into a new engine. No peer: absolute figures.\n\n"
               "  --keys LIST   entity counts to measure (default 1000,10000,100000)\n"
               "  --json        one JSON object\n\n"
               "example:\n  finsent bench state --keys 1000,10000 --json\n");
}

typedef struct state_figures {
    long keys;       /* aggregation keys in the state (entities and topics) */
    long bytes;
    double save_ms, load_ms;
    long open_alerts;
} state_figures;

static alerts *engine(const char *outbox, const alert_rule *rules) {
    alerts_options o = {.window = {.size_ms = WINDOW_MS, .advance_ms = WINDOW_MS, .lateness_ms = 60000,
                                   .scopes = WIN_SCOPE_ENTITY | WIN_SCOPE_TOPIC, .top_k = 3},
                        .baseline = {.alpha = 0.1, .warmup = 8, .min_stddev = 0.05, .robust_k = 3},
                        .rules = rules,
                        .n_rules = 2,
                        .outbox_path = outbox};
    char err[256];
    alerts *a = alerts_create(&o, err, sizeof err);
    if (!a) fprintf(stderr, "finsent bench state: %s\n", err);
    return a;
}

static int measure(long n_entities, const char *dir, state_figures *out) {
    static const alert_rule rules[2] = {
        {.name = "entity-negative-spike", .scope = WIN_SCOPE_ENTITY, .min_count = 3, .min_negatives = 3, .ratio = 2,
         .severity = ALERT_CRITICAL, .repeat_interval_ms = 3600000, .resolve_after = 2},
        {.name = "topic-negative-spike", .scope = WIN_SCOPE_TOPIC, .min_count = 5, .min_negatives = 5,
         .min_negative_share = 0.6, .severity = ALERT_WARNING, .resolve_after = 2},
    };
    char *ob1 = xasprintf("%s/a.outbox", dir), *ob2 = xasprintf("%s/b.outbox", dir);
    alerts *a = engine(ob1, rules), *b = engine(ob2, rules);
    if (!a || !b) {
        alerts_destroy(a, 0);
        alerts_destroy(b, 0);
        free(ob1);
        free(ob2);
        return -1;
    }
    char name[32], id[32], text[160];
    char *ent = name;
    event e = {.id = id, .text = text, .source = "Bench Wire", .entities = &ent, .n_entities = 1};
    static const char *topics[] = {"Earnings", "Markets", "Macro", "Legal / Regulation"};
    uint32_t x = 1;
    /* window by window, so that every key has a baseline and the last window stays open */
    for (int w = 0; w < WINDOWS; w++)
        for (long k = 0; k < n_entities; k++)
            for (int j = 0; j < PER_WINDOW; j++) {
                x = x * 1664525u + 1013904223u;
                int spike = w == WINDOWS - 2 && k % 50 == 0;
                int neg = spike || (x >> 30) == 0;
                snprintf(name, sizeof name, "ENT%06ld", k);
                snprintf(id, sizeof id, "b-%d-%ld-%d", w, k, j);
                snprintf(text, sizeof text, "%s shares %s after the quarterly update, analysts say", name,
                         neg ? "slump" : "edge higher");
                e.ts_ms = 1772409600000LL + (int64_t)w * WINDOW_MS + j * 1000 + k % 1000;
                snprintf(e.sentiment.label, sizeof e.sentiment.label, "%s", neg ? "negative" : "neutral");
                e.sentiment.score = 0.9f;
                e.p_negative = neg ? 0.9f : 0.05f;
                snprintf(e.topic.label, sizeof e.topic.label, "%s", topics[k % 4]);
                alerts_add(a, (int)(k % 6), &e, 0);
            }
    cw w;
    cw_init(&w);
    double t0 = bench_now();
    alerts_save(a, &w);
    double t1 = bench_now();
    cr r;
    cr_init(&r, w.buf, w.len);
    char err[256];
    int rc = alerts_load(b, &r, 0, err, sizeof err);
    double t2 = bench_now();
    alerts_metrics m = alerts_get_metrics(a);
    *out = (state_figures){.keys = (long)m.keys, .bytes = (long)w.len, .save_ms = (t1 - t0) * 1000,
                           .load_ms = (t2 - t1) * 1000, .open_alerts = (long)(m.fired - m.resolved)};
    if (rc != 0) fprintf(stderr, "finsent bench state: the saved state does not load: %s\n", err);
    cw_free(&w);
    alerts_destroy(a, 0);
    alerts_destroy(b, 0);
    unlink(ob1);
    unlink(ob2);
    free(ob1);
    free(ob2);
    return rc == 0 ? 0 : -1;
}

int bench_state(int argc, char **argv) {
    static const struct option opts[] = {
        {"keys", required_argument, NULL, 'k'}, {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long counts[8] = {1000, 10000, 100000};
    int n_counts = 3, json = 0, c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'k': {
            n_counts = 0;
            char *p = optarg, *end;
            while (*p && n_counts < 8) {
                long v = strtol(p, &end, 10);
                if (end == p || v < 1 || v > 1000000 || (*end && *end != ','))
                    return cli_usage_error("bench state", "--keys: expected counts from 1 to 1000000 separated by "
                                                          "commas, got \"%s\"", optarg);
                counts[n_counts++] = v;
                p = *end ? end + 1 : end;
            }
            break;
        }
        case 'j': json = 1; break;
        case 'h': usage(stdout); return 0;
        default: return cli_usage_error("bench state", "unknown option");
        }
    }
    if (optind < argc) return cli_usage_error("bench state", "unexpected argument \"%s\"", argv[optind]);
    log_set_level(LOG_ERROR);
    char dir[64];
    if (bench_tmpdir(dir, sizeof dir) < 0) return cli_fail("bench state", "cannot create a temporary directory");
    state_figures f[8];
    int rc = 0;
    for (int i = 0; i < n_counts && rc == 0; i++) rc = measure(counts[i], dir, &f[i]);
    bench_rmdir(dir);
    if (rc != 0) return 1;
    if (json) {
        printf("{\"benchmark\":\"state\",\"windows_per_key\":%d,\"events_per_key_and_window\":%d,\"runs\":[", WINDOWS,
               PER_WINDOW);
        for (int i = 0; i < n_counts; i++)
            printf("%s{\"entities\":%ld,\"keys\":%ld,\"open_alerts\":%ld,\"bytes\":%ld,\"bytes_per_key\":%.1f,"
                   "\"save_ms\":%.2f,\"load_ms\":%.2f}",
                   i ? "," : "", counts[i], f[i].keys, f[i].open_alerts, f[i].bytes,
                   (double)f[i].bytes / (double)f[i].keys, f[i].save_ms, f[i].load_ms);
        printf("]}\n");
    } else {
        printf("state bench: %d windows of 15 min per key, %d events per key and window, one window open\n", WINDOWS,
               PER_WINDOW);
        printf("  %10s %10s %8s %12s %10s %10s %10s\n", "entities", "keys", "alerts", "bytes", "bytes/key",
               "save ms", "load ms");
        for (int i = 0; i < n_counts; i++)
            printf("  %10ld %10ld %8ld %12ld %10.1f %10.2f %10.2f\n", counts[i], f[i].keys, f[i].open_alerts,
                   f[i].bytes, (double)f[i].bytes / (double)f[i].keys, f[i].save_ms, f[i].load_ms);
    }
    return 0;
}
