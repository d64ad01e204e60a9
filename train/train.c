/* train — data loading, dev split, MLM pre-training, head-masked
 * fine-tuning, evaluation, checkpoints; see train.h. */
#include "train/train.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "classify/ngram.h"
#include "classify/tokenizer.h"
#include "train/electra.h"
#include "train/eval_metrics.h"
#include "train/masking.h"
#include "train/ngram_train.h"
#include "train/optim.h"
#include "train/train_data.h"
#include "train/train_model.h"
#include "util/errmsg.h"
#include "util/log.h"
#include "util/xalloc.h"


/* ---- examples ------------------------------------------------------------------ */

typedef struct example {
    int32_t *ids;
    int len, head, label;
    int domain; /* its data file's domain (train_domains); -1 unlabelled */
} example;

typedef struct exset {
    example *v;
    size_t n, cap;
} exset;

static void exset_add(exset *s, const int32_t *ids, int len, int head, int label, int domain) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->v = xrealloc(s->v, sizeof *s->v * s->cap);
    }
    example *e = &s->v[s->n++];
    e->ids = xmalloc(sizeof(int32_t) * (size_t)len);
    memcpy(e->ids, ids, sizeof(int32_t) * (size_t)len);
    e->len = len;
    e->head = head;
    e->label = label;
    e->domain = domain;
}

static void exset_free(exset *s) {
    for (size_t i = 0; i < s->n; i++) free(s->v[i].ids);
    free(s->v);
    memset(s, 0, sizeof *s);
}

typedef struct loader {
    const train_cfg *c;
    tokenizer *tok;
    int32_t *ids;
    exset *train, *dev;
    int domain; /* of the data file being read */
    long n_train[8], n_dev[8];
} loader;

static void add_text(loader *L, const char *text, int head, int label) {
    size_t len = strlen(text);
    int n = tok_encode(L->tok, text, len, L->c->max_len, L->ids, NULL);
    int dev = head >= 0 && train_is_dev(text, len, L->c->dev_fraction);
    exset_add(dev ? L->dev : L->train, L->ids, n, head, label, head >= 0 ? L->domain : -1);
    if (head >= 0) (dev ? L->n_dev : L->n_train)[head]++;
}

/* train_read_labelled callback: one labelled text into the loader. */
static void loader_add(const char *text, int head, int label, void *arg) { add_text(arg, text, head, label); }

static int load_unlabelled(loader *L, const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        return err_set(err, errlen, "%s: %s", path, strerror(errno));
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        if (n) add_text(L, line, -1, -1);
    }
    free(line);
    fclose(f);
    return 0;
}

/* ---- batches -------------------------------------------------------------------- */

typedef struct batchbuf {
    int cap_tok, cap_seq;
    int *off;
    int32_t *ids, *pos, *types, *mlm, *labels[TM_MAX_HEADS];
    tm_batch b;
} batchbuf;

static void bb_init(batchbuf *bb, int cap_tok, int cap_seq, int nheads) {
    memset(bb, 0, sizeof *bb);
    bb->cap_tok = cap_tok;
    bb->cap_seq = cap_seq;
    bb->off = xmalloc(sizeof(int) * (size_t)(cap_seq + 1));
    bb->ids = xmalloc(sizeof(int32_t) * (size_t)cap_tok);
    bb->pos = xmalloc(sizeof(int32_t) * (size_t)cap_tok);
    bb->types = xcalloc((size_t)cap_tok, sizeof(int32_t));
    bb->mlm = xmalloc(sizeof(int32_t) * (size_t)cap_tok);
    for (int h = 0; h < nheads; h++) bb->labels[h] = xmalloc(sizeof(int32_t) * (size_t)cap_seq);
}

static void bb_free(batchbuf *bb) {
    free(bb->off), free(bb->ids), free(bb->pos), free(bb->types), free(bb->mlm);
    for (int h = 0; h < TM_MAX_HEADS; h++) free(bb->labels[h]);
}

/* Packs examples ex[order[from..to)] into bb. */
static void bb_fill(batchbuf *bb, const exset *ex, const int *order, int from, int to, int nheads) {
    int N = 0, S = 0;
    bb->off[0] = 0;
    for (int i = from; i < to; i++) {
        const example *e = &ex->v[order[i]];
        memcpy(bb->ids + N, e->ids, sizeof(int32_t) * (size_t)e->len);
        for (int t = 0; t < e->len; t++) bb->pos[N + t] = t;
        for (int h = 0; h < nheads; h++) bb->labels[h][S] = e->head == h ? e->label : -1;
        N += e->len;
        bb->off[++S] = N;
    }
    memset(&bb->b, 0, sizeof bb->b);
    bb->b.S = S;
    bb->b.N = N;
    bb->b.off = bb->off;
    bb->b.ids = bb->ids;
    bb->b.pos = bb->pos;
    bb->b.types = bb->types;
    for (int h = 0; h < nheads; h++) bb->b.labels[h] = bb->labels[h];
}

/* Splits order[0..n) into batches of at most budget tokens (at least one
 * example each): bounds[k]..bounds[k+1]. Returns the number of batches. */
static int plan_batches(const exset *ex, const int *order, int n, int budget, int *bounds) {
    int nb = 0, tok = 0;
    bounds[0] = 0;
    for (int i = 0; i < n; i++) {
        int len = ex->v[order[i]].len;
        if (i > bounds[nb] && tok + len > budget) {
            bounds[++nb] = i;
            tok = 0;
        }
        tok += len;
    }
    if (n > bounds[nb]) bounds[++nb] = n;
    return nb;
}

static void shuffle(int *a, int n, rng_pcg *r) {
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(rng_u32(r) % (uint32_t)(i + 1));
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

/* Masks bb's tokens for the MLM objective (masking.h) and drops the
 * heads' labels: pre-training batches train the MLM head only. */
static void apply_mlm(batchbuf *bb, const mask_spec *ms, rng_pcg *r) {
    mask_apply(bb->ids, bb->mlm, bb->b.N, ms, r);
    bb->b.mlm_labels = bb->mlm;
    for (int h = 0; h < TM_MAX_HEADS; h++) bb->b.labels[h] = NULL;
}

/* ---- progress ------------------------------------------------------------------------ */

typedef struct progress {
    double t0, last;
    long examples;
    double loss_ema;
    int tty;
} progress;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void progress_tick(progress *p, const char *phase, long step, long total, float loss, int examples, int force) {
    p->loss_ema = p->examples ? 0.95 * p->loss_ema + 0.05 * loss : loss;
    p->examples += examples;
    double t = now_s();
    if (!force && t - p->last < (p->tty ? 0.5 : 10.0)) return;
    p->last = t;
    double el = t - p->t0, rate = el > 0 ? p->examples / el : 0, eta = step > 0 ? el / step * (double)(total - step) : 0;
    int width = 24, fill = total > 0 ? (int)(width * (double)step / (double)total) : 0;
    char bar[32];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
    bar[width] = 0;
    fprintf(stderr, "%s%-9s [%s] %ld/%ld loss %.4f  %.1f ex/s  ETA %dm%02ds%s", p->tty ? "\r" : "", phase, bar, step,
            total, p->loss_ema, rate, (int)(eta / 60), (int)eta % 60, p->tty ? "" : "\n");
    fflush(stderr);
}

static void progress_start(progress *p) {
    memset(p, 0, sizeof *p);
    p->t0 = p->last = now_s();
    p->tty = isatty(2);
}

static void progress_end(progress *p) {
    if (p->tty) fputc('\n', stderr);
}

/* ---- checkpoints -------------------------------------------------------------------- */

typedef struct run_state {
    long pretrain_step; /* pre-training steps done */
    int epoch;          /* fine-tuning epochs done */
    long step;          /* fine-tuning steps done */
    double best;        /* best dev score, -1 none */
    int phase;          /* 0 pre-training, 1 fine-tuning */
} run_state;

/* Writes the moments through a temporary file and a rename, so that a
 * run killed while checkpointing leaves the previous file whole. */
static int save_opt(const optim_adamw *o, const char *path, char *err, size_t errlen) {
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        return err_set(err, errlen, "%s: %s", tmp, strerror(errno));
    }
    if (optim_adamw_write(o, f) | fclose(f) || rename(tmp, path)) {
        remove(tmp);
        return err_set(err, errlen, "%s: write failed", path);
    }
    return 0;
}

static int load_opt(optim_adamw *o, const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    int ok = f && optim_adamw_read(o, f) == 0;
    if (f) fclose(f);
    if (!ok) {
        return err_set(err, errlen, "%s: missing, truncated or for another model", path);
    }
    return 0;
}

static int save_checkpoint(const train_cfg *c, const tm_model *m, const optim_adamw *o, const run_state *s,
                           char *err, size_t errlen) {
    char dir[1024], path[1100];
    snprintf(dir, sizeof dir, "%s/checkpoint", c->out);
    if (tm_save_dir(m, dir, c->vocab, !c->cased, 0, 1, err, errlen)) return -1;
    snprintf(path, sizeof path, "%s/optimizer.bin", dir);
    if (save_opt(o, path, err, errlen)) return -1;
    snprintf(path, sizeof path, "%s/state.json", dir);
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        return err_set(err, errlen, "%s: %s", tmp, strerror(errno));
    }
    fprintf(f, "{\"phase\": %d, \"pretrain_step\": %ld, \"epoch\": %d, \"step\": %ld, \"best\": %.17g}\n", s->phase,
            s->pretrain_step, s->epoch, s->step, s->best);
    if (ferror(f) | fclose(f) || rename(tmp, path)) {
        return err_set(err, errlen, "%s: write failed", path);
    }
    return 0;
}

/* 1 when a checkpoint was loaded, 0 when there is none, -1 on error. */
static int load_checkpoint(const train_cfg *c, tm_model *m, optim_adamw *o, run_state *s, char *err, size_t errlen) {
    char path[1100];
    snprintf(path, sizeof path, "%s/checkpoint/state.json", c->out);
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char buf[512];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    cJSON *j = cJSON_Parse(buf);
    const char *keys[] = {"phase", "pretrain_step", "epoch", "step", "best"};
    for (int i = 0; i < 5; i++)
        if (!cJSON_IsNumber(cJSON_GetObjectItem(j, keys[i]))) {
            cJSON_Delete(j);
            return err_set(err, errlen, "%s: not a finsent checkpoint state", path);
        }
    s->phase = cJSON_GetObjectItem(j, "phase")->valueint;
    s->pretrain_step = (long)cJSON_GetObjectItem(j, "pretrain_step")->valuedouble;
    s->epoch = cJSON_GetObjectItem(j, "epoch")->valueint;
    s->step = (long)cJSON_GetObjectItem(j, "step")->valuedouble;
    s->best = cJSON_GetObjectItem(j, "best")->valuedouble;
    cJSON_Delete(j);
    snprintf(path, sizeof path, "%s/checkpoint/model.safetensors", c->out);
    if (tm_load_safetensors(m, path, 1, NULL, err, errlen)) return -1;
    snprintf(path, sizeof path, "%s/checkpoint/optimizer.bin", c->out);
    if (load_opt(o, path, err, errlen)) return -1;
    return 1;
}

/* ---- evaluation ----------------------------------------------------------------------- */

/* Scores the dev set per domain and head; returns the dev criterion
 * (train_dev_weights: the mean over domains of each domain's mean
 * macro-F1; -1 when there are no dev examples) and, when report is not
 * NULL, a JSON array of per-domain, per-head reports (caller deletes). */
static double evaluate(tm_model *m, const train_cfg *c, const exset *dev, batchbuf *bb, cJSON **report) {
    int nh = (int)c->heads.n, *of_data = xmalloc(sizeof(int) * c->data.n);
    const char **dnames = xmalloc(sizeof(char *) * c->data.n);
    int nd = train_domains(c, of_data, dnames), ns = nd * nh;
    int *order = xmalloc(sizeof(int) * (dev->n ? dev->n : 1)), *bounds = xmalloc(sizeof(int) * (dev->n + 2));
    int **gold = xcalloc((size_t)ns, sizeof *gold), **pred = xcalloc((size_t)ns, sizeof *pred);
    size_t *cnt = xcalloc((size_t)ns, sizeof *cnt);
    double *w = xmalloc(sizeof(double) * (size_t)ns);
    for (int k = 0; k < ns; k++) {
        gold[k] = xmalloc(sizeof(int) * (dev->n ? dev->n : 1));
        pred[k] = xmalloc(sizeof(int) * (dev->n ? dev->n : 1));
    }
    for (size_t i = 0; i < dev->n; i++) order[i] = (int)i;
    int nb = plan_batches(dev, order, (int)dev->n, c->batch_tokens, bounds);
    for (int k = 0; k < nb; k++) {
        bb_fill(bb, dev, order, bounds[k], bounds[k + 1], nh);
        tm_forward(m, &bb->b, 0, NULL);
        for (int s = 0; s < bb->b.S; s++) {
            const example *e = &dev->v[order[bounds[k] + s]];
            if (e->head < 0) continue;
            int C = (int)c->heads.v[e->head].labels.n, best = 0, slot = e->domain * nh + e->head;
            const float *p = m->probs[e->head] + (size_t)s * C;
            for (int j = 1; j < C; j++) best = p[j] > p[best] ? j : best;
            gold[slot][cnt[slot]] = e->label;
            pred[slot][cnt[slot]++] = best;
        }
    }
    train_dev_weights(cnt, nd, nh, w);
    double score = 0;
    int scored = 0;
    if (report) *report = cJSON_CreateArray();
    for (int k = 0; k < ns; k++) {
        if (!cnt[k]) continue;
        int h = k % nh;
        char err[128];
        evm_report *r = evm_compute(gold[k], pred[k], cnt[k], (int)c->heads.v[h].labels.n,
                                    (const char *const *)c->heads.v[h].labels.v, err, sizeof err);
        score += w[k] * r->macro_f1;
        scored++;
        log_info("train", "dev %s %s: accuracy %.4f macro-F1 %.4f (%zu examples)", dnames[k / nh],
                 c->heads.v[h].name, r->accuracy, r->macro_f1, cnt[k]);
        if (report) {
            char *js = evm_to_json(r, c->heads.v[h].name);
            cJSON *o = cJSON_Parse(js);
            cJSON_AddStringToObject(o, "domain", dnames[k / nh]);
            cJSON_AddItemToArray(*report, o);
            free(js);
        }
        evm_free(r);
    }
    for (int k = 0; k < ns; k++) free(gold[k]), free(pred[k]);
    free(gold), free(pred), free(cnt), free(order), free(bounds), free(w), free(of_data), free(dnames);
    return scored ? score : -1;
}

static int write_report(const train_cfg *c, cJSON *report, char *err, size_t errlen) {
    char path[1100];
    snprintf(path, sizeof path, "%s/dev_report.json", c->out);
    char *js = cJSON_Print(report);
    FILE *f = fopen(path, "w");
    int rc = 0;
    if (!f || fputs(js, f) < 0 || fclose(f)) {
        rc = err_set(err, errlen, "%s: write failed", path);
    }
    free(js);
    return rc;
}

/* ---- the run ---------------------------------------------------------------------------- */

/* Reads the shape of a Hugging Face BERT config.json into mc (the keys it
 * has override mc's). Returns 0, or -1 with a message naming the file. */
static int read_hf_shape(const char *dir, tm_config *mc, char *err, size_t errlen) {
    char path[1100];
    snprintf(path, sizeof path, "%s/config.json", dir);
    FILE *f = fopen(path, "rb");
    if (!f) {
        return err_set(err, errlen, "%s: %s", path, strerror(errno));
    }
    char *buf = NULL;
    size_t cap = 0, n = 0, got;
    do {
        buf = xrealloc(buf, cap += 65536);
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
    } while (got > 0);
    fclose(f);
    buf[n] = 0;
    cJSON *j = cJSON_Parse(buf);
    free(buf);
    if (!cJSON_IsObject(j)) {
        err_set(err, errlen, "%s: not a JSON object", path);
        cJSON_Delete(j);
        return -1;
    }
    static const char *const keys[] = {"vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                                       "intermediate_size", "max_position_embeddings", "type_vocab_size"};
    int *dst[] = {&mc->vocab_size, &mc->hidden, &mc->layers, &mc->heads, &mc->intermediate, &mc->max_pos, &mc->type_vocab};
    for (int i = 0; i < 7; i++) {
        const cJSON *v = cJSON_GetObjectItem(j, keys[i]);
        if (cJSON_IsNumber(v)) *dst[i] = v->valueint;
    }
    const cJSON *eps = cJSON_GetObjectItem(j, "layer_norm_eps"), *act = cJSON_GetObjectItem(j, "hidden_act");
    if (cJSON_IsNumber(eps)) mc->ln_eps = (float)eps->valuedouble;
    int rc = 0;
    if (cJSON_IsString(act) && strcmp(act->valuestring, "gelu") != 0) {
        rc = err_set(err, errlen, "%s: hidden_act \"%s\" is not supported (only the exact \"gelu\")", path,
                     act->valuestring);
    }
    cJSON_Delete(j);
    return rc;
}

/* The model of c: shape from c->model, or from init_from's config.json. */
static tm_model *build_model(const train_cfg *c, int vocab_size, char *err, size_t errlen) {
    tm_config mc = {.vocab_size = vocab_size, .hidden = c->model.hidden, .layers = c->model.layers,
                    .heads = c->model.heads, .intermediate = c->model.intermediate, .max_pos = c->max_len,
                    .type_vocab = 2, .ln_eps = 1e-12f, .dropout = (float)c->model.dropout,
                    .mlm = c->pretrain_objective != TRAIN_PRETRAIN_ELECTRA, .n_heads = (int)c->heads.n};
    if (c->init_from && read_hf_shape(c->init_from, &mc, err, errlen)) return NULL;
    if (mc.vocab_size != vocab_size) {
        err_set(err, errlen, "%s/config.json: vocab_size %d differs from %s (%d tokens)", c->init_from, mc.vocab_size,
                c->vocab, vocab_size);
        return NULL;
    }
    if (mc.max_pos < c->max_len) {
        err_set(err, errlen, "max_len %d exceeds the model's max_position_embeddings %d", c->max_len, mc.max_pos);
        return NULL;
    }
    for (size_t h = 0; h < c->heads.n; h++) {
        snprintf(mc.head[h].name, sizeof mc.head[h].name, "%s", c->heads.v[h].name);
        mc.head[h].n_labels = (int)c->heads.v[h].labels.n;
        mc.head[h].labels = c->heads.v[h].labels.v;
    }
    return tm_new(&mc, err, errlen);
}

static float train_step(tm_model *m, const tm_batch *b, optim_adamw *o, const optim_range *ranges, int nr, float lr,
                        float clip, rng_pcg *rng) {
    tm_zero_grad(m);
    tm_forward(m, b, 1, rng);
    tm_backward(m);
    optim_clip_grad_norm(m->grads, m->nparams, clip);
    optim_adamw_step(o, m->params, m->grads, ranges, nr, lr);
    return m->loss;
}

int train_run(const train_cfg *c, char *err, size_t errlen) {
    if (c->objective == TRAIN_OBJECTIVE_NGRAM) return ngram_train_run(c, err, errlen);
    int rc = -1, nh = (int)c->heads.n;
    tok_vocab *vocab = tok_vocab_load(c->vocab, err, errlen);
    if (!vocab) return -1;
    if (tok_vocab_mask(vocab) < 0 && c->pretrain_steps > 0) {
        err_set(err, errlen, "%s: pre-training needs a [MASK] token", c->vocab);
        tok_vocab_free(vocab);
        return -1;
    }
    exset train = {0}, dev = {0}, unl = {0};
    loader L = {.c = c, .tok = tok_new(vocab, !c->cased), .train = &train, .dev = &dev};
    L.ids = xmalloc(sizeof(int32_t) * (size_t)c->max_len);
    tm_model *m = NULL;
    electra *el = NULL;
    char el_path[1100];
    uint8_t *cont = NULL;
    optim_adamw opt = {0};
    optim_range *ranges = NULL;
    int *order = NULL, *bounds = NULL, nr = 0;
    batchbuf bb;
    bb_init(&bb, c->batch_tokens + c->max_len, c->batch_tokens / 2 + 2, nh);

    int *of_data = xmalloc(sizeof(int) * c->data.n);
    train_domains(c, of_data, NULL);
    for (size_t i = 0; i < c->data.n; i++) {
        int head = 0;
        while (strcmp(c->heads.v[head].name, c->data.v[i].head)) head++;
        L.domain = of_data[i];
        if (train_read_labelled(c, &c->data.v[i], head, loader_add, &L, err, errlen)) {
            free(of_data);
            goto out;
        }
    }
    free(of_data);
    for (int h = 0; h < nh; h++)
        log_info("train", "head %s: %ld training, %ld dev examples", c->heads.v[h].name, L.n_train[h], L.n_dev[h]);
    if (!train.n) {
        err_set(err, errlen, "no training examples in the data files");
        goto out;
    }
    L.train = &unl;
    for (size_t i = 0; i < c->unlabelled.n; i++)
        if (load_unlabelled(&L, c->unlabelled.v[i], err, errlen)) goto out;

    if (!(m = build_model(c, tok_vocab_size(vocab), err, errlen))) goto out;
    rng_pcg rng;
    rng_seed(&rng, (uint64_t)c->seed, 1);
    tm_init_weights(m, &rng);
    if (c->init_from) {
        char path[1100];
        int loaded = 0;
        snprintf(path, sizeof path, "%s/model.safetensors", c->init_from);
        if (tm_load_safetensors(m, path, 0, &loaded, err, errlen)) goto out;
        if (!loaded) {
            err_set(err, errlen, "%s: no tensor with a BERT name", path);
            goto out;
        }
        log_info("train", "initialised %d of %d tensors from %s", loaded, m->ntensors, path);
    }
    ranges = tm_optim_ranges(m, &nr);
    optim_adamw_init(&opt, m->nparams, 0.9f, 0.999f, 1e-8f, (float)c->weight_decay);
    if (mkdir(c->out, 0755) && errno != EEXIST) {
        err_set(err, errlen, "%s: %s", c->out, strerror(errno));
        goto out;
    }
    run_state st = {.best = -1};
    int resumed = load_checkpoint(c, m, &opt, &st, err, errlen);
    if (resumed < 0) goto out;
    if (resumed)
        log_info("train", "resuming from %s/checkpoint: pre-training step %ld, epoch %d, step %ld", c->out,
                 st.pretrain_step, st.epoch, st.step);

    /* pre-training: each step samples texts and masks from its own stream */
    size_t npool = train.n + unl.n;
    mask_spec ms = {.p = c->mask_prob, .mask_id = tok_vocab_mask(vocab), .vocab = tok_vocab_size(vocab)};
    if (c->whole_word_mask) ms.cont = cont = mask_continuations(vocab);
    if (st.phase == 0 && st.pretrain_step < c->pretrain_steps && c->pretrain_objective == TRAIN_PRETRAIN_ELECTRA) {
        electra_cfg ec = {.gen_layers = c->electra_gen_layers, .gen_intermediate = c->electra_gen_intermediate,
                          .disc_weight = (float)c->electra_disc_weight, .mask = ms};
        rng_pcg grng;
        rng_seed(&grng, (uint64_t)c->seed, 2);
        if (!(el = electra_new(m, &ec, &grng, err, errlen))) goto out;
        snprintf(el_path, sizeof el_path, "%s/checkpoint", c->out);
        if (mkdir(el_path, 0755) && errno != EEXIST) {
            err_set(err, errlen, "%s: %s", el_path, strerror(errno));
            goto out;
        }
        snprintf(el_path, sizeof el_path, "%s/checkpoint/electra.bin", c->out);
        if (resumed && electra_load(el, el_path, err, errlen)) goto out;
        log_info("train", "ELECTRA: generator of %d layers, FFN %d (%zu parameters, embeddings shared), "
                 "discriminator weight %g", c->electra_gen_layers, c->electra_gen_intermediate, el->gen->nparams,
                 c->electra_disc_weight);
    }
    if (st.phase == 0 && st.pretrain_step < c->pretrain_steps) {
        optim_schedule sch = {(float)c->pretrain_lr, (long)(c->warmup * c->pretrain_steps), c->pretrain_steps,
                              OPTIM_DECAY_LINEAR};
        progress pg;
        progress_start(&pg);
        int idx[4096];
        long first = st.pretrain_step;
        double wall0 = now_s(), cpu0 = (double)clock() / CLOCKS_PER_SEC;
        for (long k = st.pretrain_step; k < c->pretrain_steps; k++) {
            rng_pcg r;
            rng_seed(&r, (uint64_t)c->seed, 1000000 + (uint64_t)k);
            int n = 0, tok = 0;
            while (n < 4096) {
                size_t pick = rng_u32(&r) % npool;
                int len = pick < train.n ? train.v[pick].len : unl.v[pick - train.n].len;
                if (n && tok + len > c->batch_tokens) break;
                idx[n++] = (int)pick;
                tok += len;
            }
            /* gather into a temporary set view */
            exset view = {.v = xmalloc(sizeof(example) * (size_t)n), .n = (size_t)n};
            int *ord = xmalloc(sizeof(int) * (size_t)n);
            for (int i = 0; i < n; i++) {
                view.v[i] = (size_t)idx[i] < train.n ? train.v[idx[i]] : unl.v[idx[i] - (int)train.n];
                ord[i] = i;
            }
            bb_fill(&bb, &view, ord, 0, n, nh);
            float loss, lr = optim_lr_at(&sch, k);
            if (el) {
                loss = electra_step(el, m, &opt, ranges, nr, &bb.b, lr, (float)c->clip, &r);
            } else {
                apply_mlm(&bb, &ms, &r);
                loss = train_step(m, &bb.b, &opt, ranges, nr, lr, (float)c->clip, &r);
            }
            free(view.v);
            free(ord);
            st.pretrain_step = k + 1;
            progress_tick(&pg, "pretrain", k + 1, c->pretrain_steps, loss, n, k + 1 == c->pretrain_steps);
            int stop = c->pretrain_stop_at && k + 1 >= c->pretrain_stop_at && k + 1 < c->pretrain_steps;
            if ((k + 1) % c->checkpoint_every == 0 || k + 1 == c->pretrain_steps || stop) {
                if (el)
                    log_info("train", "ELECTRA step %ld: generator MLM loss %.4f, discriminator loss %.4f, accuracy "
                             "%.4f, %d of %d tokens replaced", k + 1, el->gen_loss, el->disc_loss, el->disc_acc,
                             el->n_replaced, el->n_tokens);
                if (k + 1 == c->pretrain_steps) {
                    /* fine-tuning starts with fresh moments */
                    st.phase = 1;
                    optim_adamw_free(&opt);
                    optim_adamw_init(&opt, m->nparams, 0.9f, 0.999f, 1e-8f, (float)c->weight_decay);
                }
                /* state.json, written last by save_checkpoint, commits the step */
                if (el && st.phase == 0 && electra_save(el, el_path, err, errlen)) goto out;
                if (save_checkpoint(c, m, &opt, &st, err, errlen)) goto out;
            }
            if (stop) {
                progress_end(&pg);
                log_info("train", "pre-training: steps %ld-%ld of %d in %.0f s wall, %.0f s CPU; stopped at "
                         "pretrain_stop_at (rerun with a later one, or 0, to continue from %s/checkpoint)",
                         first + 1, k + 1, c->pretrain_steps, now_s() - wall0,
                         (double)clock() / CLOCKS_PER_SEC - cpu0, c->out);
                rc = 0;
                goto out;
            }
        }
        progress_end(&pg);
        log_info("train", "pre-training: steps %ld-%d in %.0f s wall, %.0f s CPU", first + 1, c->pretrain_steps,
                 now_s() - wall0, (double)clock() / CLOCKS_PER_SEC - cpu0);
    }
    st.phase = 1;

    /* fine-tuning */
    order = xmalloc(sizeof(int) * train.n);
    bounds = xmalloc(sizeof(int) * (train.n + 2));
    long total = 0;
    for (int e = 0; e < c->epochs; e++) {
        rng_pcg r;
        rng_seed(&r, (uint64_t)c->seed, 100 + (uint64_t)e);
        for (size_t i = 0; i < train.n; i++) order[i] = (int)i;
        shuffle(order, (int)train.n, &r);
        total += plan_batches(&train, order, (int)train.n, c->batch_tokens, bounds);
    }
    if (c->max_steps && total > c->max_steps) total = c->max_steps;
    optim_schedule sch = {(float)c->lr, (long)(c->warmup * (double)total), total,
                          (enum optim_decay)c->schedule};
    progress pg;
    progress_start(&pg);
    for (int e = st.epoch; e < c->epochs && st.step < total; e++) {
        rng_pcg r, drop;
        rng_seed(&r, (uint64_t)c->seed, 100 + (uint64_t)e);
        rng_seed(&drop, (uint64_t)c->seed, 5000 + (uint64_t)e);
        for (size_t i = 0; i < train.n; i++) order[i] = (int)i;
        shuffle(order, (int)train.n, &r);
        int nb = plan_batches(&train, order, (int)train.n, c->batch_tokens, bounds);
        for (int k = 0; k < nb && st.step < total; k++) {
            bb_fill(&bb, &train, order, bounds[k], bounds[k + 1], nh);
            float loss = train_step(m, &bb.b, &opt, ranges, nr, optim_lr_at(&sch, st.step), (float)c->clip, &drop);
            st.step++;
            progress_tick(&pg, "finetune", st.step, total, loss, bb.b.S, st.step == total);
        }
        progress_end(&pg);
        st.epoch = e + 1;
        cJSON *rep = NULL;
        double score = evaluate(m, c, &dev, &bb, &rep);
        log_info("train", "epoch %d/%d: dev score %.4f (mean over domains of the mean macro-F1 over heads; best %.4f)",
                 e + 1, c->epochs, score, st.best);
        if (score > st.best || score < 0) {
            if (score >= 0) st.best = score;
            if (tm_save_dir(m, c->out, c->vocab, !c->cased, c->f16, 0, err, errlen) || write_report(c, rep, err, errlen)) {
                cJSON_Delete(rep);
                goto out;
            }
            log_info("train", "saved %s", c->out);
        }
        cJSON_Delete(rep);
        if (save_checkpoint(c, m, &opt, &st, err, errlen)) goto out;
    }
    if (c->epochs == 0 && tm_save_dir(m, c->out, c->vocab, !c->cased, c->f16, 1, err, errlen)) goto out;
    rc = 0;
out:
    bb_free(&bb);
    free(order);
    free(bounds);
    free(ranges);
    optim_adamw_free(&opt);
    tm_free(m);
    electra_free(el);
    free(cont);
    exset_free(&train);
    exset_free(&dev);
    exset_free(&unl);
    free(L.ids);
    tok_free(L.tok);
    tok_vocab_free(vocab);
    return rc;
}
