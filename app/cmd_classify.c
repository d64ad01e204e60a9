/* cmd_classify — `finsent classify`: JSONL {"id":…,"text":…} in, one
 * scored line per input line out, in order:
 *   {"id":…,"<head>":{"label":…,"score":…,"probs":[…]},…
 *    [,"logits":[…]][,"tokens":[…]][,"explain":{"<head>":[…],…}]}
 * with a key per model head ("topic", "sentiment", …). "logits" holds all
 * heads' raw logits concatenated in head order (for a plain Hugging Face
 * checkpoint: exactly its logits); "tokens" the token ids; "explain" per
 * head the text's words, {"word","start","end","weight"}, weighted toward
 * the predicted label, highest first (classify/explain.h). --part encoder
 * or ngram scores with one part of a wide-and-deep model alone
 * (classifier.h's enum cls_part).
 *
 * Streams with bounded memory: --batch lines are read, classified together
 * and written, then the next batch. A line that is not a JSON object with
 * a string "text" gives {"id":…,"error":"…","line":N} in its place; blank
 * lines are skipped. cJSON strings end at U+0000, so "\u0000" escapes are
 * removed before parsing (the tokenizer drops U+0000 anyway). */
#include <cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/commands.h"
#include "classify/classifier.h"
#include "classify/explain.h"
#include "util/log.h"
#include "util/jsonl.h"
#include "util/xalloc.h"

#define CLASSIFY_DEFAULT_BATCH 64
#define CLASSIFY_MAX_BATCH 65536

static void usage(FILE *f) {
    fprintf(f,
            "usage: finsent classify --model DIR [--batch N] [--threads N] [--quantize none|int8]\n"
            "                        [--logits] [--tokens] [--explain] [--head-name NAME]\n"
            "                        [--sentiment-labels MAP] [--part all|encoder|ngram] [FILE]\n\n"
            "Reads JSONL {\"id\":…,\"text\":…} from FILE (stdin when absent) and writes one line\n"
            "per input line, in the same order, with a label, its probability (score) and\n"
            "all probabilities per model head:\n"
            "  {\"id\":1,\"sentiment\":{\"label\":\"negative\",\"class\":\"negative\",\"score\":0.91,\n"
            "                         \"probs\":[0.91,0.06,0.03]}}\n"
            "The sentiment head's \"class\" is what its label means to finsent: negative,\n"
            "neutral, positive or none (built-in synonyms such as bearish and bullish, then\n"
            "--sentiment-labels); a model whose sentiment head has no label meaning negative\n"
            "is refused. A malformed line gives {\"id\":…,\"error\":\"…\",\"line\":N} in its place.\n\n"
            "options:\n"
            "  --model DIR       Hugging Face BERT directory: model.safetensors, config.json,\n"
            "                    vocab.txt (tokenizer_config.json optional)\n"
            "  --batch N         lines classified together (default %d)\n"
            "  --threads N       encoder threads (default 1)\n"
            "  --quantize MODE   none (default) or int8: the encoder's dense layers in int8\n"
            "                    (dynamic quantisation; faster, scores move slightly)\n"
            "  --logits          add \"logits\": all heads' raw logits, concatenated\n"
            "  --tokens          add \"tokens\": the token ids\n"
            "  --explain         add \"explain\": per head, every word of the text with its UTF-8\n"
            "                    byte offsets in \"text\" and its weight toward the predicted\n"
            "                    label (nats of that label's centred logit), highest first:\n"
            "                    the n-gram part exactly (feature x weight, shared among the\n"
            "                    words of each n-gram), the encoder by occlusion (the text\n"
            "                    encoded again without the word), added with the logits'\n"
            "                    mixing weight. Costs about W+1 encoder runs for a text of W\n"
            "                    words (docs/explain.md)\n"
            "  --head-name NAME  name of a one-head checkpoint's head (default sentiment)\n"
            "  --sentiment-labels MAP  what the sentiment labels mean, as model.sentiment_labels\n"
            "                    in a config: LABEL=CLASS,… (CLASS negative, neutral, positive or\n"
            "                    none), e.g. LABEL_0=negative,LABEL_1=neutral,LABEL_2=positive\n"
            "  --part P          all (default): the whole model; encoder: the transformer's head\n"
            "                    alone; ngram: the n-gram part alone (its logits times its mix;\n"
            "                    encoder + ngram logits = all)\n"
            "  -h, --help        this text\n\n"
            "examples:\n"
            "  echo '{\"id\":1,\"text\":\"$TSLA plunges after recall\"}' | finsent classify --model models/default\n"
            "  echo '{\"id\":1,\"text\":\"Bank downgraded to junk\"}' | finsent classify --model models/default --explain\n"
            "  finsent classify --model models/default --threads 2 --quantize int8 texts.jsonl\n"
            "  echo '{\"id\":1,\"text\":\"$TSLA plunges after recall\"}' | finsent classify --model models/default --part encoder\n",
            CLASSIFY_DEFAULT_BATCH);
}

typedef struct outbuf {
    char *buf;
    size_t len, cap;
} outbuf;

static void out_put(outbuf *o, const char *s, size_t n) {
    if (o->len + n > o->cap) {
        while (o->len + n > o->cap) o->cap = o->cap ? 2 * o->cap : 4096;
        o->buf = xrealloc(o->buf, o->cap);
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void out_str(outbuf *o, const char *s) { out_put(o, s, strlen(s)); }

static void out_fmt(outbuf *o, const char *fmt, double v) {
    char tmp[40];
    int n = snprintf(tmp, sizeof tmp, fmt, v);
    out_put(o, tmp, (size_t)n);
}

/* JSON text of a string (quoted, escaped); caller frees. */
static char *json_quote(const char *s) {
    cJSON *j = cJSON_CreateString(s);
    char *p = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!p) {
        fprintf(stderr, "finsent classify: out of memory\n");
        abort();
    }
    char *r = xstrdup(p);
    cJSON_free(p);
    return r;
}

/* One input line of a batch. */
typedef struct pending {
    cJSON *obj;        /* parsed line, NULL when invalid JSON */
    char *id_json;     /* the "id" value as JSON text, or NULL */
    const char *error; /* NULL when the line is classified */
    const char *text;  /* borrowed from obj */
    long lineno;
    int slot;          /* index among the batch's classified texts */
} pending;

typedef struct run {
    classifier *c;
    explainer *x;      /* with --explain, else NULL */
    xp_result *xr;     /* (batch, heads) explanations of the batch's predicted labels */
    int want_logits, want_tokens;
    char **head_keys;   /* JSON-quoted head names */
    char ***label_keys; /* JSON-quoted labels per head */
    int sent;           /* the sentiment head, -1 when none */
    long bad;
} run;

static void parse_line(pending *p, char *line, size_t len, long lineno) {
    memset(p, 0, sizeof *p);
    p->lineno = lineno;
    p->obj = cJSON_ParseWithLength(line, jsonl_drop_nul_escapes(line, len));
    const cJSON *text = NULL;
    if (!p->obj)
        p->error = "invalid JSON";
    else if (!cJSON_IsObject(p->obj))
        p->error = "not a JSON object";
    else if (!(text = cJSON_GetObjectItemCaseSensitive(p->obj, "text")))
        p->error = "no \\\"text\\\" field";
    else if (!cJSON_IsString(text))
        p->error = "\\\"text\\\" is not a string";
    else
        p->text = text->valuestring;
    const cJSON *id = cJSON_IsObject(p->obj) ? cJSON_GetObjectItemCaseSensitive(p->obj, "id") : NULL;
    if (id) {
        char *s = cJSON_PrintUnformatted(id);
        if (s) {
            p->id_json = xstrdup(s);
            cJSON_free(s);
        }
    }
}

/* ,"explain":{"<head>":[{"word":…,"start":…,"end":…,"weight":…},…],…} of text slot i */
static void write_explain(run *r, const pending *p, outbuf *o) {
    int H = cls_n_heads(r->c);
    out_str(o, ",\"explain\":{");
    for (int h = 0; h < H; h++) {
        const xp_result *x = &r->xr[(size_t)p->slot * H + h];
        out_str(o, h ? "," : "");
        out_str(o, r->head_keys[h]);
        out_str(o, ":[");
        for (int k = 0; k < x->n; k++) {
            const xp_word *w = &x->words[k];
            char *word = xstrndup(p->text + w->start, (size_t)(w->end - w->start));
            char *q = json_quote(word);
            out_str(o, k ? ",{\"word\":" : "{\"word\":");
            out_str(o, q);
            out_fmt(o, ",\"start\":%.0f", w->start);
            out_fmt(o, ",\"end\":%.0f", w->end);
            out_fmt(o, ",\"weight\":%.4g}", w->weight);
            free(q);
            free(word);
        }
        out_str(o, "]");
    }
    out_str(o, "}");
}

static void write_result(run *r, const pending *p, const cls_output *out, outbuf *o) {
    out_str(o, "{");
    if (p->id_json) {
        out_str(o, "\"id\":");
        out_str(o, p->id_json);
        out_str(o, ",");
    }
    if (p->error) {
        out_str(o, "\"error\":\"");
        out_str(o, p->error);
        out_fmt(o, "\",\"line\":%.0f}\n", (double)p->lineno);
        return;
    }
    int i = p->slot;
    for (int h = 0; h < cls_n_heads(r->c); h++) {
        int idx = out->index[(size_t)i * out->n_heads + h];
        const float *pr = cls_output_probs(out, r->c, i, h);
        if (h) out_str(o, ",");
        out_str(o, r->head_keys[h]);
        out_str(o, ":{\"label\":");
        out_str(o, r->label_keys[h][idx]);
        if (h == r->sent) {
            out_str(o, ",\"class\":\"");
            out_str(o, lm_class_name(lm_class(cls_labels(r->c), cls_head_label(r->c, h, idx))));
            out_str(o, "\"");
        }
        out_fmt(o, ",\"score\":%.6g,\"probs\":[", pr[idx]);
        for (int k = 0; k < cls_head_n_labels(r->c, h); k++) out_fmt(o, k ? ",%.6g" : "%.6g", pr[k]);
        out_str(o, "]}");
    }
    if (r->want_logits) {
        out_str(o, ",\"logits\":[");
        for (int k = 0; k < out->n_out; k++) out_fmt(o, k ? ",%.9g" : "%.9g", out->logits[(size_t)i * out->n_out + k]);
        out_str(o, "]");
    }
    if (r->want_tokens) {
        out_str(o, ",\"tokens\":[");
        for (int k = 0; k < out->n_ids[i]; k++) out_fmt(o, k ? ",%.0f" : "%.0f", (double)out->ids[i][k]);
        out_str(o, "]");
    }
    if (r->x) write_explain(r, p, o);
    out_str(o, "}\n");
}

/* Classifies and writes one batch; returns 0 or an exit status. */
static int flush_batch(run *r, pending *ps, int n, outbuf *o) {
    const char **texts = xmalloc(sizeof *texts * (size_t)(n ? n : 1));
    int nt = 0;
    for (int i = 0; i < n; i++)
        if (!ps[i].error) {
            ps[i].slot = nt;
            texts[nt++] = ps[i].text;
        } else {
            r->bad++;
        }
    cls_output out;
    char err[256];
    int rc = 0;
    if (cls_classify(r->c, texts, NULL, nt, r->want_tokens ? CLS_TOKENS : 0, &out, err, sizeof err) != 0) {
        rc = cli_fail("classify", "%s", err);
    } else if (r->x && xp_explain(r->x, texts, NULL, nt, out.index, r->xr, err, sizeof err) != 0) {
        rc = cli_fail("classify", "%s", err);
    } else {
        o->len = 0;
        for (int i = 0; i < n; i++) write_result(r, &ps[i], &out, o);
        if (fwrite(o->buf, 1, o->len, stdout) != o->len || fflush(stdout) != 0)
            rc = cli_fail("classify", "writing output: %s", strerror(errno));
    }
    cls_output_free(&out);
    for (int i = 0; i < n; i++) {
        cJSON_Delete(ps[i].obj);
        free(ps[i].id_json);
    }
    free(texts);
    return rc;
}

static long parse_int(const char *s, long lo, long hi) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    return (errno || *end || end == s || v < lo || v > hi) ? lo - 1 : v;
}

int cmd_classify(int argc, char **argv) {
    static const struct option opts[] = {
        {"model", required_argument, NULL, 'm'}, {"batch", required_argument, NULL, 'b'},
        {"threads", required_argument, NULL, 't'}, {"logits", no_argument, NULL, 'l'},
        {"tokens", no_argument, NULL, 'k'}, {"head-name", required_argument, NULL, 'n'},
        {"explain", no_argument, NULL, 'x'},
        {"sentiment-labels", required_argument, NULL, 's'},
        {"quantize", required_argument, NULL, 'q'},
        {"part", required_argument, NULL, 'p'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *model = NULL, *head_name = NULL, *labels = NULL;
    long batch = CLASSIFY_DEFAULT_BATCH, threads = 1;
    int quantize = 0;
    run r = {0};
    int c, want_explain = 0, part = CLS_PART_ALL;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'b':
            if ((batch = parse_int(optarg, 1, CLASSIFY_MAX_BATCH)) < 1)
                return cli_usage_error("classify", "--batch: expected an integer from 1 to %d, got \"%s\"",
                                       CLASSIFY_MAX_BATCH, optarg);
            break;
        case 't':
            if ((threads = parse_int(optarg, 1, 256)) < 1)
                return cli_usage_error("classify", "--threads: expected an integer from 1 to 256, got \"%s\"", optarg);
            break;
        case 'l': r.want_logits = 1; break;
        case 'k': r.want_tokens = 1; break;
        case 'x': want_explain = 1; break;
        case 'n': head_name = optarg; break;
        case 's': labels = optarg; break;
        case 'q':
            if (strcmp(optarg, "none") != 0 && strcmp(optarg, "int8") != 0)
                return cli_usage_error("classify", "--quantize: expected none or int8, got \"%s\"", optarg);
            quantize = strcmp(optarg, "int8") == 0;
            break;
        case 'p':
            if ((part = cls_part_parse(optarg)) < 0)
                return cli_usage_error("classify", "--part: expected all, encoder or ngram, got \"%s\"", optarg);
            break;
        case 'h': usage(stdout); return 0;
        default: return cli_usage_error("classify", "unknown option");
        }
    }
    if (!model) return cli_usage_error("classify", "--model DIR is required");
    if (argc - optind > 1) return cli_usage_error("classify", "one input FILE at most, got \"%s\" too", argv[optind + 1]);
    const char *in_path = optind < argc ? argv[optind] : NULL;

    char err[512];
    labelmap *lm = lm_create();
    if (labels && lm_parse(lm, labels, err, sizeof err) < 0) {
        lm_free(lm);
        return cli_usage_error("classify", "--sentiment-labels: %s", err);
    }
    cls_options o = {.head_name = head_name, .threads = (int)threads, .labels = lm, .check_sentiment = 1,
                     .quantize = quantize, .part = part};
    r.c = cls_open(model, &o, err, sizeof err);
    if (!r.c) {
        fprintf(stderr, "finsent classify: %s\n", err);
        lm_free(lm);
        return 2;
    }
    r.sent = cls_sentiment_head(r.c);
    FILE *in = in_path ? fopen(in_path, "rb") : stdin;
    if (!in) {
        fprintf(stderr, "finsent classify: %s: %s\n", in_path, strerror(errno));
        cls_close(r.c);
        lm_free(lm);
        return 2;
    }
    int H = cls_n_heads(r.c);
    r.head_keys = xcalloc((size_t)H, sizeof *r.head_keys);
    r.label_keys = xcalloc((size_t)H, sizeof *r.label_keys);
    for (int h = 0; h < H; h++) {
        r.head_keys[h] = json_quote(cls_head_name(r.c, h));
        r.label_keys[h] = xcalloc((size_t)cls_head_n_labels(r.c, h), sizeof **r.label_keys);
        for (int k = 0; k < cls_head_n_labels(r.c, h); k++) r.label_keys[h][k] = json_quote(cls_head_label(r.c, h, k));
    }

    if (want_explain) {
        r.x = xp_new(r.c);
        r.xr = xcalloc((size_t)batch * (size_t)H, sizeof *r.xr);
    }
    pending *ps = xcalloc((size_t)batch, sizeof *ps);
    outbuf ob = {0};
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    int np = 0, rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, in)) >= 0) {
        lineno++;
        if (jsonl_blank(line, (size_t)n)) continue;
        parse_line(&ps[np++], line, (size_t)n, lineno);
        if (np == batch) {
            rc = flush_batch(&r, ps, np, &ob);
            np = 0;
        }
    }
    if (rc == 0 && np) rc = flush_batch(&r, ps, np, &ob);
    if (rc == 0 && ferror(in)) rc = cli_fail("classify", "reading %s: %s", in_path ? in_path : "stdin", strerror(errno));
    tok_stats st = cls_tok_stats(r.c);
    if (r.bad || st.invalid_utf8 || st.truncated)
        log_warn("classify", "%ld lines, %ld malformed, %llu invalid UTF-8 bytes replaced, %llu texts truncated",
                 lineno, r.bad, (unsigned long long)st.invalid_utf8, (unsigned long long)st.truncated);
    for (int h = 0; h < H; h++) {
        free(r.head_keys[h]);
        for (int k = 0; k < cls_head_n_labels(r.c, h); k++) free(r.label_keys[h][k]);
        free(r.label_keys[h]);
    }
    free(r.head_keys);
    free(r.label_keys);
    for (long i = 0; r.xr && i < batch * H; i++) xp_result_free(&r.xr[i]);
    free(r.xr);
    xp_free(r.x);
    free(ps);
    free(ob.buf);
    free(line);
    cls_close(r.c);
    lm_free(lm);
    if (in != stdin) fclose(in);
    return rc;
}
