/* cmd_eval — `finsent eval`: scores one head of a model on a labelled file
 * (CSV with a header row, JSONL, or the SEntFiN CSV) and prints the
 * classification report of train/eval_metrics.h: per-class precision,
 * recall, F1 and support, macro and weighted averages, accuracy and the
 * confusion matrix, as a table or as JSON.
 *
 * Gold labels are resolved against the head's labels in this order: a key
 * of --label-map (its value must be a label of the head), a label name
 * (case-insensitive), on the sentiment head the one label that means what
 * the gold label means (util/labelmap.h: gold "negative" is a head's
 * "bearish"), then — only without --label-map — an integer id. A gold
 * label resolving to none is an input error naming file and line.
 * --part encoder or ngram scores one part of a wide-and-deep model alone
 * (classifier.h's enum cls_part). */
#include <cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/commands.h"
#include "classify/classifier.h"
#include "train/eval_metrics.h"
#include "train/sentfin.h"
#include "train/train_data.h"
#include "util/csv.h"
#include "util/xalloc.h"

#define EVAL_BATCH 256

static void usage(void) {
    printf("usage: finsent eval --model DIR --data FILE --head NAME [--json] [--text-column C]\n"
           "                    [--label-column C] [--label-map MAP] [--format F] [--split S] [--threads N]\n"
           "                    [--sentiment-labels MAP] [--quantize none|int8] [--part all|encoder|ngram]\n"
           "\n"
           "Classifies every text of FILE with the model and scores head NAME against the gold\n"
           "labels: per-class precision, recall, F1 and support, macro and weighted averages,\n"
           "accuracy and the confusion matrix (rows gold, columns predicted).\n"
           "\n"
           "options:\n"
           "  --model DIR        model directory (model.safetensors, config.json, vocab.txt)\n"
           "  --data FILE        .csv (RFC 4180, header row) or .jsonl (one object a line)\n"
           "  --head NAME        the head to score (e.g. sentiment, topic)\n"
           "  --json             print the report as one JSON object\n"
           "  --text-column C    CSV column / JSON key of the text (default text)\n"
           "  --label-column C   CSV column / JSON key of the gold label (default label)\n"
           "  --label-map MAP    gold value -> head label, e.g. 0=negative,1=positive,2=neutral;\n"
           "                     without it a gold label is a label name, on the sentiment head\n"
           "                     the label that means the same (gold negative = head bearish),\n"
           "                     or an integer id\n"
           "  --sentiment-labels MAP  what the sentiment head's labels mean, as\n"
           "                     model.sentiment_labels: LABEL=CLASS,… (e.g. LABEL_0=negative)\n"
           "  --format F         plain (default) or sentfin: SEntFiN.csv, headline-level labels\n"
           "                     (all entities agree; see train/sentfin.h)\n"
           "  --split S          all (default; sentfin: dev), dev or train: only the texts that\n"
           "                     `finsent train` with dev_fraction 0.1 puts in its dev / train split\n"
           "  --threads N        encoder threads (default 1)\n"
           "  --quantize MODE    none (default) or int8: the encoder's dense layers in int8\n"
           "  --part P           all (default): the whole model; encoder: the transformer's head\n"
           "                     alone; ngram: the model's n-gram part alone\n"
           "  -h, --help         this text\n"
           "\n"
           "the files of ../shared/data:\n"
           "  sentiment tweets (0 Bearish, 1 Bullish, 2 Neutral):\n"
           "    finsent eval --model models/default --head sentiment \\\n"
           "      --data ../shared/data/twitter-financial-news-sentiment/sent_valid.csv \\\n"
           "      --label-map 0=negative,1=positive,2=neutral\n"
           "  topic tweets (ids 0-19 in the order of the head's labels):\n"
           "    finsent eval --model models/default --head topic \\\n"
           "      --data ../shared/data/twitter-financial-news-topic/topic_valid.csv\n"
           "  SEntFiN headlines (its dev split, by default):\n"
           "    finsent eval --model models/default --head sentiment --format sentfin \\\n"
           "      --data ../shared/data/sentfin/SEntFiN.csv\n"
           "  the same, the transformer alone:\n"
           "    finsent eval --model models/default --head sentiment --format sentfin --part encoder \\\n"
           "      --data ../shared/data/sentfin/SEntFiN.csv\n");
}

/* Prints "finsent eval: <message>" for bad input data and returns 2. */
static int bad_input(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad_input(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "finsent eval: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    return 2;
}

/* The labelled examples read from the data file. */
typedef struct evset {
    char **texts;
    int *gold;
    size_t n, cap;
} evset;

typedef struct goldmap {
    char **keys;
    int *ids;
    int n;
} goldmap;

static void evset_add(evset *s, const char *text, int gold) {
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1024;
        s->texts = xrealloc(s->texts, sizeof(char *) * s->cap);
        s->gold = xrealloc(s->gold, sizeof(int) * s->cap);
    }
    s->texts[s->n] = xstrdup(text);
    s->gold[s->n++] = gold;
}

static void evset_free(evset *s) {
    for (size_t i = 0; i < s->n; i++) free(s->texts[i]);
    free(s->texts);
    free(s->gold);
}

static void goldmap_free(goldmap *m) {
    for (int i = 0; i < m->n; i++) free(m->keys[i]);
    free(m->keys);
    free(m->ids);
}

/* The head label named s (case-insensitive); else, on the sentiment head,
 * the only label of the class s means; else -1. */
static int find_label(const classifier *c, int head, const char *s) {
    for (int i = 0; i < cls_head_n_labels(c, head); i++)
        if (strcasecmp(cls_head_label(c, head, i), s) == 0) return i;
    int cls = lm_class(cls_labels(c), s), found = -1;
    if (head != cls_sentiment_head(c) || cls == LM_NONE) return -1;
    for (int i = 0; i < cls_head_n_labels(c, head); i++)
        if (lm_class(cls_labels(c), cls_head_label(c, head, i)) == cls) {
            if (found >= 0) return -1; /* two labels mean it: ambiguous */
            found = i;
        }
    return found;
}

/* Parses "k=v,k=v" into m, each v a label of head. Returns 0, or 2 after
 * a usage error naming the bad entry. */
static int parse_label_map(const char *spec, const classifier *c, int head, goldmap *m) {
    char *copy = xstrdup(spec), *save = NULL;
    int rc = 0;
    for (char *item = strtok_r(copy, ",", &save); item && !rc; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (!eq || eq == item || !eq[1]) {
            rc = cli_usage_error("eval", "--label-map: \"%s\" is not KEY=LABEL", item);
            break;
        }
        *eq = 0;
        int id = find_label(c, head, eq + 1);
        if (id < 0) {
            rc = cli_usage_error("eval", "--label-map: \"%s\" is not a label of head %s", eq + 1,
                                 cls_head_name(c, head));
            break;
        }
        m->keys = xrealloc(m->keys, sizeof(char *) * (size_t)(m->n + 1));
        m->ids = xrealloc(m->ids, sizeof(int) * (size_t)(m->n + 1));
        m->keys[m->n] = xstrdup(item);
        m->ids[m->n++] = id;
    }
    free(copy);
    return rc;
}

/* The head label id of gold value s (see the header comment), or -1. */
static int resolve_gold(const classifier *c, int head, const goldmap *m, const char *s) {
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->keys[i], s) == 0) return m->ids[i];
    int id = find_label(c, head, s);
    if (id >= 0 || m->n) return id;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    return (!errno && end != s && *end == 0 && v >= 0 && v < cls_head_n_labels(c, head)) ? (int)v : -1;
}

static int bad_label(const char *path, long line, const char *value, const classifier *c, int head) {
    fprintf(stderr, "finsent eval: %s:%ld: gold label \"%s\" is not a label of head %s (", path, line, value,
            cls_head_name(c, head));
    for (int i = 0; i < cls_head_n_labels(c, head); i++)
        fprintf(stderr, "%s%s", i ? ", " : "", cls_head_label(c, head, i));
    fprintf(stderr, "); give --label-map\n");
    return 2;
}

/* Column index of name in the header fields, or -1. */
static int find_column(char **fields, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (strcmp(fields[i], name) == 0) return i;
    return -1;
}

enum { SPLIT_ALL, SPLIT_DEV, SPLIT_TRAIN };

typedef struct source {
    const char *path, *text_col, *label_col;
    int sentfin, split;
} source;

/* Whether text belongs to the split asked for. */
static int in_split(const source *src, const char *text) {
    if (src->split == SPLIT_ALL) return 1;
    return train_is_dev(text, strlen(text), SF_DEV_FRACTION) == (src->split == SPLIT_DEV);
}

static int read_csv(FILE *f, const source *src, const classifier *c, int head, const goldmap *m, evset *s) {
    csv_reader *r = csv_open(f);
    char **fl;
    int n = csv_next(r, &fl), rc = 0;
    const char *tname = src->sentfin ? "Title" : src->text_col, *lname = src->sentfin ? "Decisions" : src->label_col;
    int tcol = n > 0 ? find_column(fl, n, tname) : -1, lcol = n > 0 ? find_column(fl, n, lname) : -1;
    if (n < 0) rc = bad_input("%s: %s", src->path, csv_error(r));
    else if (tcol < 0 || lcol < 0)
        rc = bad_input("%s: the header has no column \"%s\"", src->path, tcol < 0 ? tname : lname);
    while (!rc && (n = csv_next(r, &fl)) != 0) {
        if (n < 0) {
            rc = bad_input("%s: %s", src->path, csv_error(r));
        } else if (tcol >= n || lcol >= n) {
            rc = bad_input("%s:%ld: %d fields, no column %d", src->path, csv_line(r), n,
                          (tcol > lcol ? tcol : lcol)) + 1;
        } else if (src->sentfin) {
            sf_entity ents[SF_MAX_ENTITIES];
            int ne = sf_parse_decisions(fl[lcol], ents, SF_MAX_ENTITIES);
            if (ne < 0) {
                rc = bad_input("%s:%ld: Decisions is not a {'entity': 'label'} dict", src->path, csv_line(r));
                continue;
            }
            const char *lab = sf_headline_label(ents, ne);
            if (!lab || !in_split(src, fl[tcol])) continue;
            int g = find_label(c, head, lab);
            if (g < 0) rc = bad_label(src->path, csv_line(r), lab, c, head);
            else evset_add(s, fl[tcol], g);
        } else {
            int g = resolve_gold(c, head, m, fl[lcol]);
            if (g < 0) rc = bad_label(src->path, csv_line(r), fl[lcol], c, head);
            else if (in_split(src, fl[tcol])) evset_add(s, fl[tcol], g);
        }
    }
    csv_close(r);
    return rc;
}

static int read_jsonl(FILE *f, const source *src, const classifier *c, int head, const goldmap *m, evset *s) {
    char *line = NULL;
    size_t cap = 0;
    long ln = 0;
    int rc = 0;
    while (!rc && getline(&line, &cap, f) > 0) {
        ln++;
        if (strspn(line, " \t\r\n") == strlen(line)) continue;
        cJSON *o = cJSON_Parse(line);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, src->text_col);
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(o, src->label_col);
        char num[40];
        const char *ls = cJSON_IsString(l) ? l->valuestring : NULL;
        if (cJSON_IsNumber(l)) snprintf(num, sizeof num, "%.15g", l->valuedouble), ls = num;
        if (!cJSON_IsString(t) || !ls) {
            rc = bad_input("%s:%ld: needs a string \"%s\" and a label \"%s\"", src->path, ln, src->text_col,
                          src->label_col);
        } else {
            int g = resolve_gold(c, head, m, ls);
            if (g < 0) rc = bad_label(src->path, ln, ls, c, head);
            else if (in_split(src, t->valuestring)) evset_add(s, t->valuestring, g);
        }
        cJSON_Delete(o);
    }
    free(line);
    return rc;
}

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Predicts head for every text of s into pred. Returns 0, or 1 after a message. */
static int predict(classifier *c, int head, const evset *s, int *pred) {
    char err[512];
    for (size_t i = 0; i < s->n; i += EVAL_BATCH) {
        int n = (int)(s->n - i < EVAL_BATCH ? s->n - i : EVAL_BATCH);
        cls_output out = {0};
        if (cls_classify(c, (const char *const *)s->texts + i, NULL, n, 0, &out, err, sizeof err))
            return cli_fail("eval", "%s", err);
        for (int k = 0; k < n; k++) pred[i + (size_t)k] = out.index[k * out.n_heads + head];
        cls_output_free(&out);
    }
    return 0;
}

int cmd_eval(int argc, char **argv) {
    static const struct option opts[] = {
        {"model", required_argument, NULL, 'm'},        {"data", required_argument, NULL, 'd'},
        {"head", required_argument, NULL, 'H'},         {"json", no_argument, NULL, 'j'},
        {"text-column", required_argument, NULL, 't'},  {"label-column", required_argument, NULL, 'l'},
        {"label-map", required_argument, NULL, 'M'},    {"format", required_argument, NULL, 'f'},
        {"threads", required_argument, NULL, 'T'},      {"split", required_argument, NULL, 's'},
        {"sentiment-labels", required_argument, NULL, 'S'},
        {"quantize", required_argument, NULL, 'q'},
        {"part", required_argument, NULL, 'p'},         {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *model = NULL, *head_name = NULL, *map_spec = NULL, *sent_spec = NULL;
    source src = {.text_col = "text", .label_col = "label", .split = -1};
    int json = 0, threads = 1, quantize = 0, c, part = CLS_PART_ALL;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'd': src.path = optarg; break;
        case 'q':
            if (strcmp(optarg, "none") != 0 && strcmp(optarg, "int8") != 0)
                return cli_usage_error("eval", "--quantize: expected none or int8, got \"%s\"", optarg);
            quantize = strcmp(optarg, "int8") == 0;
            break;
        case 'H': head_name = optarg; break;
        case 'j': json = 1; break;
        case 't': src.text_col = optarg; break;
        case 'l': src.label_col = optarg; break;
        case 'M': map_spec = optarg; break;
        case 'S': sent_spec = optarg; break;
        case 'f':
            if (strcmp(optarg, "sentfin") == 0) src.sentfin = 1;
            else if (strcmp(optarg, "plain") != 0)
                return cli_usage_error("eval", "--format: expected plain or sentfin, got \"%s\"", optarg);
            break;
        case 's':
            if (strcmp(optarg, "all") == 0) src.split = SPLIT_ALL;
            else if (strcmp(optarg, "dev") == 0) src.split = SPLIT_DEV;
            else if (strcmp(optarg, "train") == 0) src.split = SPLIT_TRAIN;
            else return cli_usage_error("eval", "--split: expected all, dev or train, got \"%s\"", optarg);
            break;
        case 'T': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < 1 || v > 256)
                return cli_usage_error("eval", "--threads: expected an integer from 1 to 256, got \"%s\"", optarg);
            threads = (int)v;
            break;
        }
        case 'p':
            if ((part = cls_part_parse(optarg)) < 0)
                return cli_usage_error("eval", "--part: expected all, encoder or ngram, got \"%s\"", optarg);
            break;
        case 'h': usage(); return 0;
        default: return cli_usage_error("eval", "unknown option");
        }
    }
    if (optind < argc) return cli_usage_error("eval", "unexpected argument '%s'", argv[optind]);
    if (!model || !src.path || !head_name)
        return cli_usage_error("eval", "--model, --data and --head are required");
    if (src.sentfin && map_spec) return cli_usage_error("eval", "--label-map does not apply to --format sentfin");
    if (src.split < 0) src.split = src.sentfin ? SPLIT_DEV : SPLIT_ALL;

    char err[1024];
    labelmap *lm = lm_create();
    if (sent_spec && lm_parse(lm, sent_spec, err, sizeof err) < 0) {
        lm_free(lm);
        return cli_usage_error("eval", "--sentiment-labels: %s", err);
    }
    cls_options o = {.threads = threads, .labels = lm, .quantize = quantize, .part = part};
    classifier *cl = cls_open(model, &o, err, sizeof err);
    if (!cl) { /* a bad model: exit 2, as for a bad config */
        lm_free(lm);
        cli_fail("eval", "%s", err);
        return 2;
    }
    int head = cls_find_head(cl, head_name), rc = 0;
    goldmap map = {0};
    evset set = {0};
    int *pred = NULL;
    if (head < 0) {
        fprintf(stderr, "finsent eval: %s has no head \"%s\" (heads:", model, head_name);
        for (int h = 0; h < cls_n_heads(cl); h++) fprintf(stderr, " %s", cls_head_name(cl, h));
        fprintf(stderr, ")\n");
        rc = 2;
        goto out;
    }
    if (map_spec && (rc = parse_label_map(map_spec, cl, head, &map))) goto out;
    FILE *f = fopen(src.path, "rb");
    if (!f) {
        rc = cli_fail("eval", "%s: %s", src.path, strerror(errno));
        goto out;
    }
    rc = ends_with(src.path, ".jsonl") && !src.sentfin ? read_jsonl(f, &src, cl, head, &map, &set)
                                                        : read_csv(f, &src, cl, head, &map, &set);
    fclose(f);
    if (rc) goto out;
    if (!set.n) {
        rc = bad_input("%s: no labelled examples", src.path);
        goto out;
    }
    pred = xmalloc(sizeof(int) * set.n);
    if ((rc = predict(cl, head, &set, pred))) goto out;
    int nl = cls_head_n_labels(cl, head);
    const char **labels = xmalloc(sizeof(char *) * (size_t)nl);
    for (int i = 0; i < nl; i++) labels[i] = cls_head_label(cl, head, i);
    evm_report *r = evm_compute(set.gold, pred, set.n, nl, labels, err, sizeof err);
    free(labels);
    if (!r) {
        rc = cli_fail("eval", "%s", err);
        goto out;
    }
    if (json) {
        char *s = evm_to_json(r, head_name);
        printf("%s\n", s);
        cJSON_free(s);
    } else {
        char title[1200];
        snprintf(title, sizeof title, "head %s on %s", head_name, src.path);
        evm_print_text(r, title, stdout);
    }
    evm_free(r);
out:
    free(pred);
    evset_free(&set);
    goldmap_free(&map);
    cls_close(cl);
    lm_free(lm);
    return rc;
}
