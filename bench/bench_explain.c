/* bench_explain — `finsent bench explain`: how faithful the word
 * explanations are (explain_faith.h: ERASER comprehensiveness on the dev
 * texts the model calls negative) and what they cost: milliseconds per
 * explained text, and per alert on a back-test of the demo feed, run
 * with and without the words behind alerts (rounds alternate; the
 * process's CPU time of each run, user + system, all threads). `ratio` is
 * the mean drop of p(negative) when the top words are deleted over the
 * mean drop when as many random words are; `cpu_ratio` the CPU time of
 * the back-test with words over without. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "app/commands.h"
#include "app/replay_common.h"
#include "bench/bench.h"
#include "bench/explain_faith.h"
#include "util/xalloc.h"

static void usage(FILE *f) {
    fprintf(f, "usage: finsent bench explain [--only faith|alerts] [--model DIR] [--train-config FILE]\n"
               "                             [--data DIR] [--texts N] [--seed S] [--rounds R] [--json]\n\n"
               "faith: faithfulness of `classify --explain` (ERASER comprehensiveness): for each dev\n"
               "text the model calls negative (at least %d words), p(negative) after deleting its %d\n"
               "highest-weighted words against the mean after deleting %d random words (%d draws).\n"
               "Prints the share of texts where the top words cost more, both mean drops, their\n"
               "ratio and the time per explained text.\n"
               "alerts: what the words behind alerts cost: a back-test of the demo feed\n"
               "(configs/demo.json, app/demo/feed.jsonl) with and without them, R rounds each,\n"
               "alternating; the explanation's ms per alert and the CPU time each run took.\n\n"
               "  --only PART          run one part (default both)\n"
               "  --model DIR          model directory (default models/default)\n"
               "  --train-config FILE  the training config whose dev split is used\n"
               "                       (default configs/train-default.json)\n"
               "  --data DIR           where its ../shared/data/ files are (default ../shared/data)\n"
               "  --texts N            score at most N negative texts (default 0: all)\n"
               "  --seed S             random draws (default 1)\n"
               "  --rounds R           back-test runs with and without words each (default 3)\n"
               "  --json               print one JSON object\n\n"
               "example: finsent bench explain --texts 200 --json\n",
               XF_MIN_WORDS, XF_TOP, XF_TOP, XF_DRAWS);
}

/* The process's CPU seconds so far, user + system, all threads. */
static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec * 1e-6;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct alert_cost {
    long long alerts, texts;       /* sends explained (fired or sent again) and their sample texts, per run */
    double ms_per_alert;           /* inside the explain callback, mean over all runs with words */
    double cpu_ms_per_alert;       /* the same in CPU time of the thread */
    double cpu_with, cpu_without;  /* median CPU seconds of a back-test run */
    double wall_with, wall_without;
} alert_cost;

#define MAX_ROUNDS 20

/* Back-tests the demo feed with and without words, rounds times each. */
static int measure_alerts(const char *model, int rounds, alert_cost *c) {
    char dir[] = "/tmp/finsent-bench-explain-XXXXXX";
    if (!mkdtemp(dir)) return cli_fail("bench explain", "cannot make a scratch directory: %s", dir);
    setenv("FINSENT_DEMO_SECRET", "unused", 0);
    double cpu[2][MAX_ROUNDS], wall[2][MAX_ROUNDS], explain_s = 0, explain_cpu = 0;
    long long calls = 0;
    int rc = 0;
    memset(c, 0, sizeof *c);
    for (int r = 0; rc == 0 && r < rounds; r++)
        for (int with = 1; rc == 0 && with >= 0; with--) {
            char *outbox = xasprintf("%s/%d-%d", dir, r, with);
            replay_args a = {.config = "configs/demo.json", .model = model, .outbox = outbox,
                             .file = "app/demo/feed.jsonl", .dry_run = 1, .quiet = 1, .no_alert_words = !with};
            replay_result res = {0};
            double c0 = cpu_seconds(), t0 = bench_now();
            rc = replay_run("bench explain", &a, NULL, &res);
            free(res.sentiment_labels); /* replay_run's, unused here */
            cpu[with][r] = cpu_seconds() - c0;
            wall[with][r] = bench_now() - t0;
            if (with) {
                c->alerts = res.words.calls;
                c->texts = res.words.texts;
                calls += res.words.calls;
                explain_s += res.words.seconds;
                explain_cpu += res.words.cpu_seconds;
            }
            char *cmd = xasprintf("rm -rf '%s'", outbox);
            if (system(cmd) != 0) fprintf(stderr, "finsent bench explain: could not remove %s\n", outbox);
            free(cmd);
            free(outbox);
        }
    rmdir(dir);
    if (rc) return rc;
    for (int w = 0; w < 2; w++) {
        qsort(cpu[w], (size_t)rounds, sizeof cpu[w][0], cmp_double);
        qsort(wall[w], (size_t)rounds, sizeof wall[w][0], cmp_double);
    }
    c->cpu_with = cpu[1][rounds / 2];
    c->cpu_without = cpu[0][rounds / 2];
    c->wall_with = wall[1][rounds / 2];
    c->wall_without = wall[0][rounds / 2];
    c->ms_per_alert = calls ? 1e3 * explain_s / (double)calls : 0;
    c->cpu_ms_per_alert = calls ? 1e3 * explain_cpu / (double)calls : 0;
    return 0;
}

/* The faithfulness part; 0, 1 runtime failure (or no data: *skipped), 2 bad model or config. */
static int measure_faith(const char *model, const char *cfg, const char *data, long max_texts, long seed,
                         xf_result *r, int *dev_n, double *secs, int *skipped) {
    char err[512];
    xf_texts dev;
    int rc = xf_dev_texts(cfg, data, &dev, err, sizeof err);
    if (rc) {
        fprintf(stderr, "finsent bench explain: %s%s\n", err, rc > 0 ? " (faithfulness skipped)" : "");
        *skipped = rc > 0;
        return rc > 0 ? 0 : 2;
    }
    *dev_n = dev.n;
    cls_options o = {.threads = 1};
    classifier *cl = cls_open(model, &o, err, sizeof err);
    if (!cl) {
        xf_texts_free(&dev);
        fprintf(stderr, "finsent bench explain: %s\n", err);
        return 2;
    }
    double t0 = bench_now();
    rc = xf_measure(cl, (const char *const *)dev.v, dev.n, (int)max_texts, (uint64_t)seed, r, err, sizeof err);
    *secs = bench_now() - t0;
    if (rc) fprintf(stderr, "finsent bench explain: %s\n", err);
    cls_close(cl);
    xf_texts_free(&dev);
    return rc ? 1 : 0;
}

int bench_explain(int argc, char **argv) {
    static const struct option opts[] = {
        {"model", required_argument, NULL, 'm'}, {"train-config", required_argument, NULL, 'c'},
        {"data", required_argument, NULL, 'd'},  {"texts", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},  {"rounds", required_argument, NULL, 'r'},
        {"only", required_argument, NULL, 'o'},  {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    const char *model = "models/default", *cfg = "configs/train-default.json", *data = "../shared/data";
    long max_texts = 0, seed = 1, rounds = 3;
    int json = 0, c, faith = 1, alerts = 1;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'c': cfg = optarg; break;
        case 'd': data = optarg; break;
        case 'n':
            max_texts = strtol(optarg, &end, 10);
            if (*end || end == optarg || max_texts < 0)
                return cli_usage_error("bench explain", "--texts: expected an integer >= 0, got \"%s\"", optarg);
            break;
        case 's':
            seed = strtol(optarg, &end, 10);
            if (*end || end == optarg)
                return cli_usage_error("bench explain", "--seed: expected an integer, got \"%s\"", optarg);
            break;
        case 'r':
            rounds = strtol(optarg, &end, 10);
            if (*end || end == optarg || rounds < 1 || rounds > MAX_ROUNDS)
                return cli_usage_error("bench explain", "--rounds: expected an integer from 1 to %d, got \"%s\"",
                                       MAX_ROUNDS, optarg);
            break;
        case 'o':
            if (strcmp(optarg, "faith") && strcmp(optarg, "alerts"))
                return cli_usage_error("bench explain", "--only: expected faith or alerts, got \"%s\"", optarg);
            faith = strcmp(optarg, "faith") == 0;
            alerts = !faith;
            break;
        case 'j': json = 1; break;
        case 'h': usage(stdout); return 0;
        default: return cli_usage_error("bench explain", "unknown option");
        }
    }
    xf_result r = {0};
    alert_cost ac = {0};
    int dev_n = 0, skipped = 0, rc = 0;
    double secs = 0;
    if (faith) rc = measure_faith(model, cfg, data, max_texts, seed, &r, &dev_n, &secs, &skipped);
    if (rc == 0 && alerts) rc = measure_alerts(model, (int)rounds, &ac);
    if (rc) return rc;
    int have_faith = faith && !skipped;
    double ratio = r.mean_drop_random > 0 ? r.mean_drop_top / r.mean_drop_random : 0;
    double ms = r.texts + r.short_texts ? 1e3 * r.explain_seconds / (r.texts + r.short_texts) : 0;
    double cpu_ms = r.texts + r.short_texts ? 1e3 * r.explain_cpu / (r.texts + r.short_texts) : 0;
    double cpu_ratio = ac.cpu_without > 0 ? ac.cpu_with / ac.cpu_without : 0;
    double added = ac.alerts ? 1e3 * (ac.cpu_with - ac.cpu_without) / (double)ac.alerts : 0;
    if (json) {
        printf("{\"benchmark\":\"explain\",\"model\":\"%s\"", model);
        if (have_faith)
            printf(",\"dev_texts\":%d,\"negative\":%d,\"short\":%d,\"texts\":%d,\"wins\":%d,\"share\":%.4f,"
                   "\"mean_drop_top\":%.4f,\"mean_drop_random\":%.4f,\"ratio\":%.3f,\"words_per_text\":%.1f,"
                   "\"ms_per_text\":%.3f,\"cpu_ms_per_text\":%.3f,\"faith_seconds\":%.2f",
                   dev_n, r.negative, r.short_texts, r.texts, r.wins, r.share, r.mean_drop_top, r.mean_drop_random,
                   ratio, r.words_per_text, ms, cpu_ms, secs);
        if (alerts)
            printf(",\"rounds\":%ld,\"alerts\":%lld,\"sample_texts\":%lld,\"ms_per_alert\":%.2f,"
                   "\"cpu_ms_per_alert\":%.2f,\"cpu_with\":%.3f,\"cpu_without\":%.3f,\"cpu_ms_added_per_alert\":%.2f,\"cpu_ratio\":%.4f,"
                   "\"wall_with\":%.3f,\"wall_without\":%.3f",
                   rounds, ac.alerts, ac.texts, ac.ms_per_alert, ac.cpu_ms_per_alert, ac.cpu_with, ac.cpu_without,
                   added, cpu_ratio, ac.wall_with, ac.wall_without);
        printf("}\n");
        return 0;
    }
    if (have_faith)
        printf("explain faithfulness (ERASER comprehensiveness), model %s\n"
               "  dev texts %d, called negative %d, scored %d (%d with fewer than %d words left out)\n"
               "  top-%d deletion beats %d random deletions on %d of %d texts: share %.3f\n"
               "  mean drop of p(negative): top words %.4f, random words %.4f (ratio %.2f)\n"
               "  cost: %.2f ms per explained text, %.2f ms of CPU (%.1f words on average), %.1f s in all\n",
               model, dev_n, r.negative, r.texts, r.short_texts, XF_MIN_WORDS, XF_TOP, XF_DRAWS, r.wins, r.texts,
               r.share, r.mean_drop_top, r.mean_drop_random, ratio, ms, cpu_ms, r.words_per_text, secs);
    if (alerts)
        printf("words behind alerts, demo feed back-test, %ld rounds each way (medians)\n"
               "  %lld alerts explained per run (%lld sample texts): %.1f ms per alert inside the explanation\n"
               "  (%.1f ms of its thread's CPU time)\n"
               "  CPU per run: %.3f s with words, %.3f s without (ratio %.3f; %.1f ms per alert)\n"
               "  wall per run: %.3f s with words, %.3f s without\n",
               rounds, ac.alerts, ac.texts, ac.ms_per_alert, ac.cpu_ms_per_alert, ac.cpu_with, ac.cpu_without,
               cpu_ratio, added, ac.wall_with, ac.wall_without);
    return 0;
}
