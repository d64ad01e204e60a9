/* bench_explain — `finsent bench explain`: how faithful the word
 * explanations are (explain_faith.h: ERASER comprehensiveness on the dev
 * texts the model calls negative) and what they cost (milliseconds per
 * explained text). `ratio` is the mean drop of p(negative) when the top
 * words are deleted over the mean drop when as many random words are. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/commands.h"
#include "bench/bench.h"
#include "bench/explain_faith.h"

static void usage(FILE *f) {
    fprintf(f, "usage: finsent bench explain [--model DIR] [--train-config FILE] [--data DIR] [--texts N]\n"
               "                             [--seed S] [--json]\n\n"
               "Faithfulness of `classify --explain` (ERASER comprehensiveness): for each dev text\n"
               "the model calls negative (at least %d words), p(negative) after deleting its %d\n"
               "highest-weighted words against the mean after deleting %d random words (%d draws).\n"
               "Prints the share of texts where the top words cost more, both mean drops, their\n"
               "ratio and the time per explained text.\n\n"
               "  --model DIR          model directory (default models/default)\n"
               "  --train-config FILE  the training config whose dev split is used\n"
               "                       (default configs/train-default.json)\n"
               "  --data DIR           where its ../shared/data/ files are (default ../shared/data)\n"
               "  --texts N            score at most N negative texts (default 0: all)\n"
               "  --seed S             random draws (default 1)\n"
               "  --json               print one JSON object\n\n"
               "example: finsent bench explain --texts 200 --json\n",
               XF_MIN_WORDS, XF_TOP, XF_TOP, XF_DRAWS);
}

int bench_explain(int argc, char **argv) {
    static const struct option opts[] = {
        {"model", required_argument, NULL, 'm'}, {"train-config", required_argument, NULL, 'c'},
        {"data", required_argument, NULL, 'd'},  {"texts", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},  {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    const char *model = "models/default", *cfg = "configs/train-default.json", *data = "../shared/data";
    long max_texts = 0, seed = 1;
    int json = 0, c;
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
            if (*end || end == optarg) return cli_usage_error("bench explain", "--seed: expected an integer, got \"%s\"", optarg);
            break;
        case 'j': json = 1; break;
        case 'h': usage(stdout); return 0;
        default: return cli_usage_error("bench explain", "unknown option");
        }
    }
    char err[512];
    xf_texts dev;
    int rc = xf_dev_texts(cfg, data, &dev, err, sizeof err);
    if (rc) {
        fprintf(stderr, "finsent bench explain: %s\n", err);
        return rc > 0 ? 1 : 2;
    }
    cls_options o = {.threads = 1};
    classifier *cl = cls_open(model, &o, err, sizeof err);
    if (!cl) {
        xf_texts_free(&dev);
        fprintf(stderr, "finsent bench explain: %s\n", err);
        return 2;
    }
    xf_result r;
    double t0 = bench_now();
    rc = xf_measure(cl, (const char *const *)dev.v, dev.n, (int)max_texts, (uint64_t)seed, &r, err, sizeof err);
    double secs = bench_now() - t0;
    if (rc) {
        fprintf(stderr, "finsent bench explain: %s\n", err);
    } else {
        double ratio = r.mean_drop_random > 0 ? r.mean_drop_top / r.mean_drop_random : 0;
        double ms = r.texts + r.short_texts ? 1e3 * r.explain_seconds / (r.texts + r.short_texts) : 0;
        if (json)
            printf("{\"bench\":\"explain\",\"model\":\"%s\",\"dev_texts\":%d,\"negative\":%d,\"short\":%d,\"texts\":%d,"
                   "\"wins\":%d,\"share\":%.4f,\"mean_drop_top\":%.4f,\"mean_drop_random\":%.4f,\"ratio\":%.3f,"
                   "\"words_per_text\":%.1f,\"ms_per_text\":%.3f,\"seconds\":%.2f}\n",
                   model, dev.n, r.negative, r.short_texts, r.texts, r.wins, r.share, r.mean_drop_top,
                   r.mean_drop_random, ratio, r.words_per_text, ms, secs);
        else
            printf("explain faithfulness (ERASER comprehensiveness), model %s\n"
                   "  dev texts %d, called negative %d, scored %d (%d with fewer than %d words left out)\n"
                   "  top-%d deletion beats %d random deletions on %d of %d texts: share %.3f\n"
                   "  mean drop of p(negative): top words %.4f, random words %.4f (ratio %.2f)\n"
                   "  cost: %.2f ms per explained text (%.1f words on average), %.1f s in all\n",
                   model, dev.n, r.negative, r.texts, r.short_texts, XF_MIN_WORDS, XF_TOP, XF_DRAWS, r.wins, r.texts,
                   r.share, r.mean_drop_top, r.mean_drop_random, ratio, ms, r.words_per_text, secs);
    }
    cls_close(cl);
    xf_texts_free(&dev);
    return rc ? 1 : 0;
}
