/* bench_aggregate — throughput of windows + baselines + rules on one core.
 *
 * Synthetic scored events (500 entities, 20 topics, one or two entities
 * each, --rate per second of event time, a few out of order) are generated up
 * front, then fed to a window engine with all four key scopes, 60 s
 * tumbling windows and 5 s lateness, and two rules (z-score and ratio)
 * whose alerts are counted but not delivered. The figure is events per
 * second; `vs_target` is that divided by the 2,000,000 events/s target (a
 * constant, not a peer measured in the same run, so not a `ratio`). */
#include "bench/bench_aggregate.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alert_state.h"
#include "app/commands.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define BENCH_TARGET_EPS 2000000.0
#define N_ENTITIES 500
#define N_TOPICS 20

typedef struct bench_ctx {
    as_engine *as;
    int64_t windows;
    int64_t alerts;
} bench_ctx;

static void on_windows(const win_result *r, int n, void *ud) {
    bench_ctx *c = ud;
    c->windows += n;
    as_process(c->as, r, n);
}

static void on_alert(const alert *a, void *ud) {
    (void)a;
    ((bench_ctx *)ud)->alerts++;
}

static uint64_t rnd(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void usage(FILE *f) {
    fprintf(f, "usage: finsent bench aggregate [--events N] [--rate R] [--json]\n\n"
               "Events per second through event-time windows (all key scopes), baselines\n"
               "and two rules on one core. Target: 2,000,000 events/s.\n\n"
               "  --events N  events to feed (default 5000000)\n"
               "  --rate R    events per second of event time (default 10000): the\n"
               "              lower, the fewer events per key and window\n"
               "  --json      print one JSON object (events_per_s; vs_target = events_per_s /\n"
               "              target_events_per_s)\n\n"
               "example: finsent bench aggregate --events 2000000 --json\n");
}

int bench_aggregate(int argc, char **argv) {
    static const struct option opts[] = {
        {"events", required_argument, NULL, 'n'},
        {"rate", required_argument, NULL, 'r'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long long n_events = 5000000, rate = 10000;
    int json = 0, c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'n': {
            char *end;
            n_events = strtoll(optarg, &end, 10);
            if (*end || n_events <= 0) return cli_usage_error("bench aggregate", "--events: expected a positive integer, got \"%s\"", optarg);
            break;
        }
        case 'r': {
            char *end;
            rate = strtoll(optarg, &end, 10);
            if (*end || rate <= 0 || rate > 1000000)
                return cli_usage_error("bench aggregate", "--rate: expected 1..1000000 events per second, got \"%s\"", optarg);
            break;
        }
        case 'j': json = 1; break;
        case 'h': usage(stdout); return 0;
        default: return cli_usage_error("bench aggregate", "unknown option");
        }
    }
    if (optind < argc) return cli_usage_error("bench aggregate", "unexpected argument \"%s\"", argv[optind]);

    /* a pool of distinct events, replayed with increasing event times */
    enum { POOL = 1 << 16 };
    char names[N_ENTITIES][8], *ents[N_ENTITIES];
    for (int i = 0; i < N_ENTITIES; i++) {
        snprintf(names[i], sizeof names[i], "T%03d", i);
        ents[i] = names[i];
    }
    static const char *labels[] = {"negative", "neutral", "positive"};
    event *pool = xcalloc(POOL, sizeof *pool);
    char **pool_ents = xcalloc((size_t)POOL * 2, sizeof *pool_ents);
    char(*ids)[16] = xcalloc(POOL, sizeof *ids);
    uint64_t s = 88172645463325252ull;
    for (int i = 0; i < POOL; i++) {
        event *e = &pool[i];
        snprintf(ids[i], sizeof ids[i], "m%d", i);
        e->id = ids[i];
        e->text = (char *)"Shares of the company fell after the guidance cut and an analyst downgrade.";
        e->source = (char *)"wire";
        int cls = (int)(rnd(&s) % 10);
        cls = cls < 3 ? 0 : cls < 8 ? 1 : 2;
        snprintf(e->sentiment.label, sizeof e->sentiment.label, "%s", labels[cls]);
        e->sentiment.score = 0.5f + (float)(rnd(&s) % 500) / 1000.0f;
        e->p_negative = cls == 0 ? e->sentiment.score : (float)(rnd(&s) % 300) / 1000.0f;
        snprintf(e->topic.label, sizeof e->topic.label, "topic%02d", (int)(rnd(&s) % N_TOPICS));
        e->n_entities = 1 + (int)(rnd(&s) % 2);
        e->entities = &pool_ents[2 * i];
        for (int k = 0; k < e->n_entities; k++) e->entities[k] = ents[rnd(&s) % N_ENTITIES];
        if (e->n_entities == 2 && e->entities[0] == e->entities[1]) e->n_entities = 1;
    }

    win_config wc = {60000, 60000, 5000, 0, WIN_SCOPE_ALL, 3, NULL};
    bl_config bc = {0.1, 5, 0.02, 0};
    static const char *sinks[] = {"bench"};
    alert_rule rules[2] = {
        {.name = "zspike", .scope = WIN_SCOPE_ENTITY, .min_count = 20, .min_negatives = 5, .zscore = 3,
         .severity = ALERT_WARNING, .sinks = sinks, .n_sinks = 1, .repeat_interval_ms = 600000, .resolve_after = 2},
        {.name = "x4", .scope = WIN_SCOPE_ENTITY_TOPIC, .min_negatives = 4, .ratio = 4, .severity = ALERT_CRITICAL,
         .sinks = sinks, .n_sinks = 1, .resolve_after = 2},
    };
    bench_ctx ctx = {0};
    bl_table *bt = bl_create(&bc);
    ctx.as = as_create(rules, 2, NULL, 0, bt, on_alert, &ctx);
    win_engine *w = win_create(&wc, on_windows, NULL, &ctx);

    int64_t t0 = time_mono_ns();
    int64_t ts0 = 1714521600000LL;
    for (long long i = 0; i < n_events; i++) {
        event *e = &pool[i & (POOL - 1)];
        int64_t ts = ts0 + i * 1000 / rate;
        e->ts_ms = (i % 97 == 0) ? ts - 3000 : ts; /* some out of order, within lateness */
        win_add(w, (int)(i & 3), e, 0);
    }
    win_flush(w);
    int64_t ns = time_mono_ns() - t0;
    double eps = (double)n_events / ((double)ns / 1e9);

    if (json)
        printf("{\"bench\":\"aggregate\",\"events\":%lld,\"rate\":%lld,\"seconds\":%.3f,\"events_per_s\":%.0f,"
               "\"target_events_per_s\":%.0f,\"vs_target\":%.3f,\"keys\":%u,\"windows\":%lld,\"alerts\":%lld,"
               "\"late\":%lld}\n",
               n_events, rate, (double)ns / 1e9, eps, BENCH_TARGET_EPS, eps / BENCH_TARGET_EPS, win_n_keys(w),
               (long long)ctx.windows, (long long)ctx.alerts, (long long)win_late_count(w));
    else
        printf("aggregate: %lld events in %.3f s = %.0f events/s (vs target %.2f: the 2,000,000/s target); "
               "%u keys, %lld windows closed, %lld alerts, %lld late\n",
               n_events, (double)ns / 1e9, eps, eps / BENCH_TARGET_EPS, win_n_keys(w), (long long)ctx.windows,
               (long long)ctx.alerts, (long long)win_late_count(w));
    win_destroy(w);
    as_destroy(ctx.as);
    bl_destroy(bt);
    free(pool);
    free(pool_ents);
    free(ids);
    return 0;
}
