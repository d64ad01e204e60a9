/* classifier — model + tokenizer + batcher (+ the optional n-gram part)
 * behind one API; see classifier.h. */
#include "classify/classifier.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/batch.h"
#include "classify/encoder.h"
#include "util/errmsg.h"
#include "util/xalloc.h"

#define CLS_SORT_WINDOW 256

struct classifier {
    cls_model *m;      /* shared with clones */
    tok_vocab *vocab;  /* shared with clones */
    ngram_model *ng;   /* shared with clones; NULL: encoder only */
    ngram_vec nv;      /* n-gram features of one text */
    int is_clone;
    int part;          /* enum cls_part */
    int max_len, token_budget;
    const labelmap *labels;
    int sent_head, neg_label; /* -1 when none */
    tokenizer *tok;
    batcher *b;
    int32_t *idbuf;    /* (cap_ids) ids of the texts of one call, back to back */
    size_t cap_ids;
    tok_stats stats;
};

static void make_scratch(classifier *c) {
    c->tok = tok_new(c->vocab, c->m->do_lower_case);
    c->b = batch_new(c->m, c->token_budget, c->max_len, CLS_SORT_WINDOW);
}

static int find_sentiment_head(const cls_model *m) {
    int sent = cls_model_head(m, "sentiment");
    if (sent < 0 && m->cfg.n_heads == 1 && strcmp(m->cfg.heads[0].name, "topic") != 0) sent = 0;
    return sent;
}

/* With o->check_sentiment: 0 when the model has no sentiment head or one
 * with a label that means negative, else -1 with one line in err. */
static int check_sentiment(const char *dir, const cls_model *m, const cls_options *o, char *err, size_t errlen) {
    int sent = find_sentiment_head(m);
    if (!o->check_sentiment || sent < 0) return 0;
    char why[400];
    if (lm_check_head(o->labels, (const char *const *)m->cfg.heads[sent].labels, m->cfg.heads[sent].n_labels, why,
                      sizeof why) == 0)
        return 0;
    return err_set(err, errlen, "%s/config.json: %s", dir, why);
}

classifier *cls_open(const char *dir, const cls_options *opts, char *err, size_t errlen) {
    cls_options o = opts ? *opts : (cls_options){0};
    cls_model *m = cls_model_load(dir, o.head_name, err, errlen);
    if (!m) return NULL;
    if (check_sentiment(dir, m, &o, err, errlen) < 0) {
        cls_model_free(m);
        return NULL;
    }
    char *vpath = xasprintf("%s/vocab.txt", dir);
    tok_vocab *v = tok_vocab_load(vpath, err, errlen);
    if (v && tok_vocab_size(v) > m->cfg.vocab_size) {
        err_set(err, errlen, "%s: %d tokens but the model's vocab_size is %d", vpath, tok_vocab_size(v),
                m->cfg.vocab_size);
        tok_vocab_free(v);
        v = NULL;
    }
    free(vpath);
    ngram_model *ng = NULL;
    if (v && o.part != CLS_PART_ENCODER && ngram_load(dir, &m->cfg, &ng, err, errlen)) {
        tok_vocab_free(v);
        v = NULL;
    }
    if (v && o.part == CLS_PART_NGRAM && !ng) {
        err_set(err, errlen, "%s/config.json: no n-gram part (\"finsent_ngram\") to use alone", dir);
        tok_vocab_free(v);
        v = NULL;
    }
    if (!v) {
        cls_model_free(m);
        return NULL;
    }
    classifier *c = xcalloc(1, sizeof *c);
    c->m = m;
    c->vocab = v;
    c->ng = ng;
    c->part = o.part;
    int maxpos = m->cfg.max_position < 512 ? m->cfg.max_position : 512;
    c->max_len = o.max_len >= 2 && o.max_len < maxpos ? o.max_len : maxpos;
    c->token_budget = o.token_budget > 0 ? o.token_budget : 4096;
    c->labels = o.labels;
    c->sent_head = find_sentiment_head(m);
    c->neg_label = -1;
    for (int j = 0; c->sent_head >= 0 && j < m->cfg.heads[c->sent_head].n_labels && c->neg_label < 0; j++)
        if (lm_class(c->labels, m->cfg.heads[c->sent_head].labels[j]) == LM_NEGATIVE) c->neg_label = j;
    enc_set_threads(o.threads > 0 ? o.threads : 1);
    enc_prepare(m, o.quantize ? ENC_INT8 : ENC_FP32);
    make_scratch(c);
    return c;
}

classifier *cls_clone(const classifier *c) {
    classifier *k = xcalloc(1, sizeof *k);
    k->m = c->m;
    k->vocab = c->vocab;
    k->ng = c->ng;
    k->is_clone = 1;
    k->part = c->part;
    k->max_len = c->max_len;
    k->token_budget = c->token_budget;
    k->labels = c->labels;
    k->sent_head = c->sent_head;
    k->neg_label = c->neg_label;
    make_scratch(k);
    return k;
}

void cls_close(classifier *c) {
    if (!c) return;
    tok_free(c->tok);
    batch_free(c->b);
    free(c->idbuf);
    ngram_vec_free(&c->nv);
    if (!c->is_clone) {
        ngram_free(c->ng);
        tok_vocab_free(c->vocab);
        cls_model_free(c->m);
    }
    free(c);
}

const cls_model *cls_get_model(const classifier *c) { return c->m; }
const ngram_model *cls_get_ngram(const classifier *c) { return c->ng; }
const tok_vocab *cls_get_vocab(const classifier *c) { return c->vocab; }
int cls_max_len(const classifier *c) { return c->max_len; }
int cls_n_heads(const classifier *c) { return c->m->cfg.n_heads; }
const char *cls_head_name(const classifier *c, int head) { return c->m->cfg.heads[head].name; }
int cls_head_n_labels(const classifier *c, int head) { return c->m->cfg.heads[head].n_labels; }
const char *cls_head_label(const classifier *c, int head, int label) { return c->m->cfg.heads[head].labels[label]; }
int cls_find_head(const classifier *c, const char *name) { return cls_model_head(c->m, name); }
int cls_sentiment_head(const classifier *c) { return c->sent_head; }
const labelmap *cls_labels(const classifier *c) { return c->labels; }
tok_stats cls_tok_stats(const classifier *c) { return c->stats; }

int cls_part_parse(const char *s) {
    static const char *const names[] = {"all", "encoder", "ngram"};
    for (int i = 0; i < 3; i++)
        if (strcmp(s, names[i]) == 0) return i;
    return -1;
}

void cls_output_free(cls_output *out) {
    if (!out) return;
    free(out->index);
    free(out->probs);
    free(out->logits);
    if (out->ids)
        for (int i = 0; i < out->n; i++) free(out->ids[i]);
    free(out->ids);
    free(out->n_ids);
    memset(out, 0, sizeof *out);
}

int cls_classify(classifier *c, const char *const *texts, const size_t *lens, int n, int flags, cls_output *out,
                 char *err, size_t errlen) {
    const cls_model *m = c->m;
    int K = m->n_out, H = m->cfg.n_heads;
    memset(out, 0, sizeof *out);
    out->n = n;
    out->n_heads = H;
    out->n_out = K;
    out->index = xcalloc((size_t)(n ? n : 1) * H, sizeof *out->index);
    out->probs = xcalloc((size_t)(n ? n : 1) * K, sizeof *out->probs);
    out->logits = xcalloc((size_t)(n ? n : 1) * K, sizeof *out->logits);
    if (n == 0) return 0;
    size_t need = (size_t)n * (size_t)c->max_len;
    if (need > c->cap_ids) {
        c->cap_ids = need;
        c->idbuf = xrealloc(c->idbuf, sizeof *c->idbuf * need);
    }
    const int32_t **ids = xmalloc(sizeof *ids * (size_t)n);
    int *nid = xmalloc(sizeof *nid * (size_t)n);
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        size_t len = lens ? lens[i] : strlen(texts[i]);
        nid[i] = tok_encode(c->tok, texts[i], len, c->max_len, c->idbuf + off, &c->stats);
        ids[i] = c->idbuf + off;
        off += (size_t)nid[i];
    }
    int rc = c->part == CLS_PART_NGRAM ? 0 : batch_run(c->b, ids, nid, n, out->logits, NULL, err, errlen);
    for (int i = 0; rc == 0 && c->ng && i < n; i++) {
        ngram_features(c->tok, &c->ng->s, c->ng->idf, texts[i], lens ? lens[i] : strlen(texts[i]), &c->nv);
        ngram_add_logits(c->ng, &c->nv, m->head_off, out->logits + (size_t)i * K);
    }
    if (rc == 0) {
        for (int i = 0; i < n; i++)
            for (int h = 0; h < H; h++) {
                int nl = m->cfg.heads[h].n_labels, o = m->head_off[h], best = 0;
                float *p = out->probs + (size_t)i * K + o;
                memcpy(p, out->logits + (size_t)i * K + o, sizeof(float) * (size_t)nl);
                enc_softmax(p, nl);
                for (int j = 1; j < nl; j++)
                    if (p[j] > p[best]) best = j;
                out->index[(size_t)i * H + h] = best;
            }
        if (flags & CLS_TOKENS) {
            out->ids = xcalloc((size_t)n, sizeof *out->ids);
            out->n_ids = xcalloc((size_t)n, sizeof *out->n_ids);
            for (int i = 0; i < n; i++) {
                out->n_ids[i] = nid[i];
                out->ids[i] = xmalloc(sizeof(int32_t) * (size_t)nid[i]);
                memcpy(out->ids[i], ids[i], sizeof(int32_t) * (size_t)nid[i]);
            }
        }
    }
    free(ids);
    free(nid);
    return rc;
}

float cls_output_score(const cls_output *out, const classifier *c, int i, int head) {
    int idx = out->index[(size_t)i * out->n_heads + head];
    return out->probs[(size_t)i * out->n_out + c->m->head_off[head] + idx];
}

const float *cls_output_probs(const cls_output *out, const classifier *c, int i, int head) {
    return out->probs + (size_t)i * out->n_out + c->m->head_off[head];
}

static void set_score(event_score *s, const classifier *c, const cls_output *out, int i, int head) {
    if (head < 0) {
        s->label[0] = 0;
        s->score = 0;
        s->index = -1;
        return;
    }
    int idx = out->index[(size_t)i * out->n_heads + head];
    snprintf(s->label, sizeof s->label, "%s", cls_head_label(c, head, idx));
    s->score = cls_output_score(out, c, i, head);
    s->index = idx;
}

int cls_negative_label(const classifier *c, int *head) {
    *head = c->sent_head;
    return c->neg_label;
}

void cls_fill_events(const classifier *c, const cls_output *out, event *const *events, int n) {
    int topic = cls_find_head(c, "topic"), sent = c->sent_head, neg = c->neg_label;
    for (int i = 0; i < n; i++) {
        set_score(&events[i]->topic, c, out, i, topic);
        set_score(&events[i]->sentiment, c, out, i, sent);
        events[i]->p_negative = neg >= 0 ? cls_output_probs(out, c, i, sent)[neg] : 0.0f;
    }
}

int cls_score_events(classifier *c, event *const *events, int n, char *err, size_t errlen) {
    const char **texts = xmalloc(sizeof *texts * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) texts[i] = events[i]->text;
    cls_output out;
    int rc = cls_classify(c, texts, NULL, n, 0, &out, err, errlen);
    if (rc == 0) cls_fill_events(c, &out, events, n);
    cls_output_free(&out);
    free(texts);
    return rc;
}
