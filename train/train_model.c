/* train_model — the trainable encoder: parameter table, forward with
 * activation cache, backward, and the model-directory writer; see
 * train_model.h. The layer math lives in train_layers.c; this file wires
 * the layers the way Hugging Face's BertModel does. */
#include "train/train_model.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "classify/safetensors.h"
#include "util/errmsg.h"
#include "util/xalloc.h"

typedef struct layer_ix {
    int qw, qb, kw, kb, vw, vb, aow, aob, ln1w, ln1b, iw, ib, ow, ob, ln2w, ln2b;
} layer_ix;

typedef struct layer_acts {
    float *q, *k, *v, *att, *ctx, *ao, *ao_d, *res1, *ln1, *ln1_mean, *ln1_rstd;
    float *h, *g, *o, *o_d, *res2, *ln2, *ln2_mean, *ln2_rstd;
    uint8_t *ao_mask, *o_mask;
} layer_acts;

struct tm_acts {
    /* tensor indices */
    int wte, wpe, wtt, elnw, elnb, pw, pb, hw[TM_MAX_HEADS], hb[TM_MAX_HEADS];
    int mtw, mtb, mlnw, mlnb, mbias;
    layer_ix *lx;
    /* capacities of the buffers below */
    int capN, capS, capM;
    size_t capAtt;
    float *fbuf;
    uint8_t *ubuf;
    /* the batch of the last forward */
    const tm_batch *b;
    int pooled; /* the pooler and heads ran */
    float p;    /* dropout probability used by the forward */
    int M;      /* masked tokens */
    int *mpos;
    int32_t *mlab;
    float *emb_sum, *emb_ln, *emb_mean, *emb_rstd, *emb_out;
    uint8_t *emb_mask;
    layer_acts *la;
    float *cls, *pool_pre, *pool, *pool_d, *logits[TM_MAX_HEADS], *probs[TM_MAX_HEADS];
    uint8_t *pool_mask;
    float *mx, *t1, *t2, *t3, *t3_mean, *t3_rstd, *mlogits, *mprobs;
    /* gradient scratch */
    float *dx, *dres, *dln, *dtmp, *dctx, *dq, *dk, *dv, *dI1, *dI2;
    float *dS1, *dS2, *dS3, *dM1, *dM2, *dM3, *dM4;
};

#define PT(m, i) ((m)->params + (m)->tensors[i].off)
#define GT(m, i) ((m)->grads + (m)->tensors[i].off)

static int add_tensor(tm_model *m, int *cap, const char *name, int d0, int d1, int decay) {
    if (m->ntensors == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        m->tensors = xrealloc(m->tensors, sizeof *m->tensors * (size_t)*cap);
    }
    tm_tensor *t = &m->tensors[m->ntensors];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = d1 ? 2 : 1;
    t->shape[0] = d0;
    t->shape[1] = d1;
    t->numel = (size_t)d0 * (size_t)(d1 ? d1 : 1);
    t->off = m->nparams;
    t->decay = decay;
    m->nparams += t->numel;
    return m->ntensors++;
}

void tm_config_free_labels(tm_config *cfg) {
    for (int h = 0; h < cfg->n_heads; h++) {
        for (int i = 0; i < cfg->head[h].n_labels && cfg->head[h].labels; i++) free(cfg->head[h].labels[i]);
        free(cfg->head[h].labels);
        cfg->head[h].labels = NULL;
    }
}

tm_model *tm_new(const tm_config *cfg, char *err, size_t errlen) {
    const tm_config *c = cfg;
    if (c->vocab_size < 5 || c->hidden < 1 || c->layers < 0 || c->heads < 1 || c->intermediate < 1 ||
        c->max_pos < 2 || c->type_vocab < 1 || c->hidden % c->heads != 0) {
        err_set(err, errlen, "model shape: sizes must be positive and hidden (%d) a multiple of heads (%d)",
                c->hidden, c->heads);
        return NULL;
    }
    if (c->n_heads < 0 || c->n_heads > TM_MAX_HEADS || (c->n_heads == 0 && !c->mlm)) {
        err_set(err, errlen, "model needs 1..%d classification heads or the MLM head", TM_MAX_HEADS);
        return NULL;
    }
    for (int h = 0; h < c->n_heads; h++)
        if (c->head[h].n_labels < 2 || !c->head[h].labels || !c->head[h].name[0]) {
            err_set(err, errlen, "head %d (\"%s\") needs a name and at least 2 labels", h, c->head[h].name);
            return NULL;
        }
    tm_model *m = xcalloc(1, sizeof *m);
    m->cfg = *c;
    for (int h = 0; h < c->n_heads; h++) {
        m->cfg.head[h].labels = xmalloc(sizeof(char *) * (size_t)c->head[h].n_labels);
        for (int i = 0; i < c->head[h].n_labels; i++) m->cfg.head[h].labels[i] = xstrdup(c->head[h].labels[i]);
    }
    tm_acts *a = m->acts = xcalloc(1, sizeof *a);
    int cap = 0, H = c->hidden, I = c->intermediate;
    char nm[96];
    a->wte = add_tensor(m, &cap, "bert.embeddings.word_embeddings.weight", c->vocab_size, H, 1);
    a->wpe = add_tensor(m, &cap, "bert.embeddings.position_embeddings.weight", c->max_pos, H, 1);
    a->wtt = add_tensor(m, &cap, "bert.embeddings.token_type_embeddings.weight", c->type_vocab, H, 1);
    a->elnw = add_tensor(m, &cap, "bert.embeddings.LayerNorm.weight", H, 0, 0);
    a->elnb = add_tensor(m, &cap, "bert.embeddings.LayerNorm.bias", H, 0, 0);
    a->lx = xcalloc((size_t)(c->layers ? c->layers : 1), sizeof *a->lx);
    for (int l = 0; l < c->layers; l++) {
        layer_ix *x = &a->lx[l];
#define T(field, suffix, d0, d1, dec)                                               \
    snprintf(nm, sizeof nm, "bert.encoder.layer.%d.%s", l, suffix);                 \
    x->field = add_tensor(m, &cap, nm, d0, d1, dec)
        T(qw, "attention.self.query.weight", H, H, 1);
        T(qb, "attention.self.query.bias", H, 0, 0);
        T(kw, "attention.self.key.weight", H, H, 1);
        T(kb, "attention.self.key.bias", H, 0, 0);
        T(vw, "attention.self.value.weight", H, H, 1);
        T(vb, "attention.self.value.bias", H, 0, 0);
        T(aow, "attention.output.dense.weight", H, H, 1);
        T(aob, "attention.output.dense.bias", H, 0, 0);
        T(ln1w, "attention.output.LayerNorm.weight", H, 0, 0);
        T(ln1b, "attention.output.LayerNorm.bias", H, 0, 0);
        T(iw, "intermediate.dense.weight", I, H, 1);
        T(ib, "intermediate.dense.bias", I, 0, 0);
        T(ow, "output.dense.weight", H, I, 1);
        T(ob, "output.dense.bias", H, 0, 0);
        T(ln2w, "output.LayerNorm.weight", H, 0, 0);
        T(ln2b, "output.LayerNorm.bias", H, 0, 0);
#undef T
    }
    a->pw = a->pb = -1;
    if (c->n_heads) {
        a->pw = add_tensor(m, &cap, "bert.pooler.dense.weight", H, H, 1);
        a->pb = add_tensor(m, &cap, "bert.pooler.dense.bias", H, 0, 0);
    }
    for (int h = 0; h < c->n_heads; h++) {
        snprintf(nm, sizeof nm, "classifier.%s.weight", c->head[h].name);
        a->hw[h] = add_tensor(m, &cap, nm, c->head[h].n_labels, H, 1);
        snprintf(nm, sizeof nm, "classifier.%s.bias", c->head[h].name);
        a->hb[h] = add_tensor(m, &cap, nm, c->head[h].n_labels, 0, 0);
    }
    a->mtw = a->mtb = a->mlnw = a->mlnb = a->mbias = -1;
    if (c->mlm) {
        a->mtw = add_tensor(m, &cap, "cls.predictions.transform.dense.weight", H, H, 1);
        a->mtb = add_tensor(m, &cap, "cls.predictions.transform.dense.bias", H, 0, 0);
        a->mlnw = add_tensor(m, &cap, "cls.predictions.transform.LayerNorm.weight", H, 0, 0);
        a->mlnb = add_tensor(m, &cap, "cls.predictions.transform.LayerNorm.bias", H, 0, 0);
        a->mbias = add_tensor(m, &cap, "cls.predictions.bias", c->vocab_size, 0, 0);
    }
    a->la = xcalloc((size_t)(c->layers ? c->layers : 1), sizeof *a->la);
    m->params = xcalloc(m->nparams, sizeof(float));
    m->grads = xcalloc(m->nparams, sizeof(float));
    return m;
}

void tm_free(tm_model *m) {
    if (!m) return;
    tm_config_free_labels(&m->cfg);
    free(m->acts->lx);
    free(m->acts->la);
    free(m->acts->fbuf);
    free(m->acts->ubuf);
    free(m->acts->mpos);
    free(m->acts->mlab);
    free(m->acts);
    free(m->tensors);
    free(m->params);
    free(m->grads);
    free(m);
}

tm_tensor *tm_find(tm_model *m, const char *name) {
    for (int i = 0; i < m->ntensors; i++)
        if (strcmp(m->tensors[i].name, name) == 0) return &m->tensors[i];
    return NULL;
}

void tm_init_weights(tm_model *m, rng_pcg *rng) {
    for (int i = 0; i < m->ntensors; i++) {
        tm_tensor *t = &m->tensors[i];
        float *p = m->params + t->off;
        int is_ln_w = strstr(t->name, "LayerNorm.weight") != NULL;
        for (size_t j = 0; j < t->numel; j++) p[j] = t->ndim == 2 ? 0.02f * rng_normal(rng) : (is_ln_w ? 1.0f : 0.0f);
    }
    memset(PT(m, m->acts->wte), 0, sizeof(float) * (size_t)m->cfg.hidden); /* padding_idx 0 */
}

optim_range *tm_optim_ranges(const tm_model *m, int *n) {
    optim_range *r = xmalloc(sizeof *r * (size_t)m->ntensors);
    for (int i = 0; i < m->ntensors; i++) {
        r[i].off = m->tensors[i].off;
        r[i].n = m->tensors[i].numel;
        r[i].decay = m->tensors[i].decay;
    }
    *n = m->ntensors;
    return r;
}

void tm_zero_grad(tm_model *m) { memset(m->grads, 0, sizeof(float) * m->nparams); }

/* ---- activation buffers ---------------------------------------------------- */

static float *take(float **cur, size_t n) {
    float *p = *cur;
    *cur += n;
    return p;
}

static uint8_t *takeu(uint8_t **cur, size_t n) {
    uint8_t *p = *cur;
    *cur += n;
    return p;
}

/* Lays the buffers out for N tokens, S sequences, att attention floats per
 * layer and M masked tokens; grows (never shrinks) the arenas. */
static void ensure(tm_model *m, int N, int S, size_t att, int M) {
    tm_acts *a = m->acts;
    if (N <= a->capN && S <= a->capS && att <= a->capAtt && M <= a->capM && a->fbuf) return;
    N = N > a->capN ? N + N / 2 : a->capN;
    S = S > a->capS ? S + S / 2 : a->capS;
    att = att > a->capAtt ? att + att / 2 : a->capAtt;
    M = M > a->capM ? M + M / 2 + 1 : a->capM;
    const tm_config *c = &m->cfg;
    size_t H = (size_t)c->hidden, I = (size_t)c->intermediate, V = (size_t)c->vocab_size, L = (size_t)c->layers;
    size_t nH = (size_t)N * H, nI = (size_t)N * I, sH = (size_t)S * H, mH = (size_t)M * H, nc = 0;
    for (int h = 0; h < c->n_heads; h++) nc += (size_t)S * (size_t)c->head[h].n_labels * 2;
    size_t fl = 3 * nH + 2 * (size_t)N + L * (12 * nH + att + 2 * nI + 4 * (size_t)N) + 4 * sH + nc + 4 * mH +
                2 * (size_t)M + 2 * (size_t)M * V + 8 * nH + 2 * nI + 3 * sH + 4 * mH;
    size_t ul = nH + L * 2 * nH + sH;
    free(a->fbuf);
    free(a->ubuf);
    free(a->mpos);
    free(a->mlab);
    a->fbuf = xmalloc(sizeof(float) * fl);
    a->ubuf = xmalloc(ul ? ul : 1);
    a->mpos = xmalloc(sizeof(int) * (size_t)M);
    a->mlab = xmalloc(sizeof(int32_t) * (size_t)M);
    float *f = a->fbuf;
    uint8_t *u = a->ubuf;
    a->emb_sum = take(&f, nH);
    a->emb_ln = take(&f, nH);
    a->emb_out = take(&f, nH);
    a->emb_mean = take(&f, (size_t)N);
    a->emb_rstd = take(&f, (size_t)N);
    a->emb_mask = takeu(&u, nH);
    for (size_t l = 0; l < L; l++) {
        layer_acts *x = &a->la[l];
        x->q = take(&f, nH), x->k = take(&f, nH), x->v = take(&f, nH), x->ctx = take(&f, nH);
        x->ao = take(&f, nH), x->ao_d = take(&f, nH), x->res1 = take(&f, nH), x->ln1 = take(&f, nH);
        x->o = take(&f, nH), x->o_d = take(&f, nH), x->res2 = take(&f, nH), x->ln2 = take(&f, nH);
        x->att = take(&f, att);
        x->h = take(&f, nI), x->g = take(&f, nI);
        x->ln1_mean = take(&f, (size_t)N), x->ln1_rstd = take(&f, (size_t)N);
        x->ln2_mean = take(&f, (size_t)N), x->ln2_rstd = take(&f, (size_t)N);
        x->ao_mask = takeu(&u, nH), x->o_mask = takeu(&u, nH);
    }
    a->cls = take(&f, sH), a->pool_pre = take(&f, sH), a->pool = take(&f, sH), a->pool_d = take(&f, sH);
    a->pool_mask = takeu(&u, sH);
    for (int h = 0; h < c->n_heads; h++) {
        a->logits[h] = take(&f, (size_t)S * (size_t)c->head[h].n_labels);
        a->probs[h] = take(&f, (size_t)S * (size_t)c->head[h].n_labels);
    }
    a->mx = take(&f, mH), a->t1 = take(&f, mH), a->t2 = take(&f, mH), a->t3 = take(&f, mH);
    a->t3_mean = take(&f, (size_t)M), a->t3_rstd = take(&f, (size_t)M);
    a->mlogits = take(&f, (size_t)M * V), a->mprobs = take(&f, (size_t)M * V);
    a->dx = take(&f, nH), a->dres = take(&f, nH), a->dln = take(&f, nH), a->dtmp = take(&f, nH);
    a->dctx = take(&f, nH), a->dq = take(&f, nH), a->dk = take(&f, nH), a->dv = take(&f, nH);
    a->dI1 = take(&f, nI), a->dI2 = take(&f, nI);
    a->dS1 = take(&f, sH), a->dS2 = take(&f, sH), a->dS3 = take(&f, sH);
    a->dM1 = take(&f, mH), a->dM2 = take(&f, mH), a->dM3 = take(&f, mH), a->dM4 = take(&f, mH);
    a->capN = N, a->capS = S, a->capAtt = att, a->capM = M;
}

/* ---- forward ----------------------------------------------------------------- */

void tm_forward(tm_model *m, const tm_batch *b, int train, rng_pcg *rng) {
    const tm_config *c = &m->cfg;
    tm_acts *a = m->acts;
    int N = b->N, S = b->S, H = c->hidden, I = c->intermediate, nh = c->heads;
    float p = train ? c->dropout : 0.0f;
    int M = 0;
    if (b->mlm_labels && c->mlm)
        for (int t = 0; t < N; t++) M += b->mlm_labels[t] >= 0;
    ensure(m, N, S, tl_attention_size(b->off, S, nh), M);
    a->b = b;
    a->M = M;
    a->p = p;

    tl_embed_forward(a->emb_sum, b->ids, b->pos, b->types, PT(m, a->wte), PT(m, a->wpe), PT(m, a->wtt), N, H);
    tl_layernorm_forward(a->emb_ln, a->emb_mean, a->emb_rstd, a->emb_sum, PT(m, a->elnw), PT(m, a->elnb), N, H,
                         c->ln_eps);
    tl_dropout_forward(a->emb_out, a->emb_mask, a->emb_ln, (size_t)N * H, p, rng);
    const float *x = a->emb_out;
    size_t nH = (size_t)N * H;
    for (int l = 0; l < c->layers; l++) {
        layer_ix *ix = &a->lx[l];
        layer_acts *z = &a->la[l];
        tl_matmul_forward(z->q, x, PT(m, ix->qw), PT(m, ix->qb), N, H, H);
        tl_matmul_forward(z->k, x, PT(m, ix->kw), PT(m, ix->kb), N, H, H);
        tl_matmul_forward(z->v, x, PT(m, ix->vw), PT(m, ix->vb), N, H, H);
        tl_attention_forward(z->ctx, z->att, z->q, z->k, z->v, b->off, S, H, nh);
        tl_matmul_forward(z->ao, z->ctx, PT(m, ix->aow), PT(m, ix->aob), N, H, H);
        tl_dropout_forward(z->ao_d, z->ao_mask, z->ao, nH, p, rng);
        for (size_t i = 0; i < nH; i++) z->res1[i] = z->ao_d[i] + x[i];
        tl_layernorm_forward(z->ln1, z->ln1_mean, z->ln1_rstd, z->res1, PT(m, ix->ln1w), PT(m, ix->ln1b), N, H,
                             c->ln_eps);
        tl_matmul_forward(z->h, z->ln1, PT(m, ix->iw), PT(m, ix->ib), N, H, I);
        tl_gelu_forward(z->g, z->h, (size_t)N * I);
        tl_matmul_forward(z->o, z->g, PT(m, ix->ow), PT(m, ix->ob), N, I, H);
        tl_dropout_forward(z->o_d, z->o_mask, z->o, nH, p, rng);
        for (size_t i = 0; i < nH; i++) z->res2[i] = z->o_d[i] + z->ln1[i];
        tl_layernorm_forward(z->ln2, z->ln2_mean, z->ln2_rstd, z->res2, PT(m, ix->ln2w), PT(m, ix->ln2b), N, H,
                             c->ln_eps);
        x = z->ln2;
    }

    m->loss = 0;
    a->pooled = 0;
    for (int h = 0; h < c->n_heads; h++) {
        a->pooled |= b->labels[h] != NULL;
        m->head_loss[h] = 0;
        m->head_count[h] = 0;
        m->probs[h] = NULL;
        m->logits[h] = NULL;
    }
    if (a->pooled) {
        for (int s = 0; s < S; s++) memcpy(a->cls + (size_t)s * H, x + (size_t)b->off[s] * H, sizeof(float) * H);
        tl_matmul_forward(a->pool_pre, a->cls, PT(m, a->pw), PT(m, a->pb), S, H, H);
        tl_tanh_forward(a->pool, a->pool_pre, (size_t)S * H);
        tl_dropout_forward(a->pool_d, a->pool_mask, a->pool, (size_t)S * H, p, rng);
        for (int h = 0; h < c->n_heads; h++) {
            int C = c->head[h].n_labels;
            tl_matmul_forward(a->logits[h], a->pool_d, PT(m, a->hw[h]), PT(m, a->hb[h]), S, H, C);
            m->probs[h] = a->probs[h];
            m->logits[h] = a->logits[h];
            if (!b->labels[h]) {
                for (int s = 0; s < S; s++) {
                    int32_t none = -1;
                    tl_xent_forward(a->probs[h] + (size_t)s * C, a->logits[h] + (size_t)s * C, &none, 1, C, NULL);
                }
                continue;
            }
            m->head_loss[h] = tl_xent_forward(a->probs[h], a->logits[h], b->labels[h], S, C, &m->head_count[h]);
            m->loss += m->head_loss[h];
        }
    }

    m->mlm_loss = 0;
    m->mlm_count = M;
    m->mlm_probs = M ? a->mprobs : NULL;
    if (M) {
        int k = 0;
        for (int t = 0; t < N; t++)
            if (b->mlm_labels[t] >= 0) {
                a->mpos[k] = t;
                a->mlab[k++] = b->mlm_labels[t];
            }
        for (int j = 0; j < M; j++) memcpy(a->mx + (size_t)j * H, x + (size_t)a->mpos[j] * H, sizeof(float) * H);
        tl_matmul_forward(a->t1, a->mx, PT(m, a->mtw), PT(m, a->mtb), M, H, H);
        tl_gelu_forward(a->t2, a->t1, (size_t)M * H);
        tl_layernorm_forward(a->t3, a->t3_mean, a->t3_rstd, a->t2, PT(m, a->mlnw), PT(m, a->mlnb), M, H, c->ln_eps);
        tl_matmul_forward(a->mlogits, a->t3, PT(m, a->wte), PT(m, a->mbias), M, H, c->vocab_size);
        m->mlm_loss = tl_xent_forward(a->mprobs, a->mlogits, a->mlab, M, c->vocab_size, NULL);
        m->loss += m->mlm_loss;
    }
}

/* ---- backward ------------------------------------------------------------------ */

const float *tm_hidden(const tm_model *m) {
    return m->cfg.layers ? m->acts->la[m->cfg.layers - 1].ln2 : m->acts->emb_out;
}

void tm_backward(tm_model *m) { tm_backward_hidden(m, NULL); }

void tm_backward_hidden(tm_model *m, const float *dhidden) {
    const tm_config *c = &m->cfg;
    tm_acts *a = m->acts;
    const tm_batch *b = a->b;
    int N = b->N, S = b->S, H = c->hidden, I = c->intermediate, nh = c->heads, M = a->M, V = c->vocab_size;
    size_t nH = (size_t)N * H, sH = (size_t)S * H, mH = (size_t)M * H;
    float p = a->p;
    if (dhidden) memcpy(a->dx, dhidden, sizeof(float) * nH);
    else memset(a->dx, 0, sizeof(float) * nH);

    if (a->pooled) {
        memset(a->dS1, 0, sizeof(float) * sH);
        for (int h = 0; h < c->n_heads; h++) {
            if (!b->labels[h]) continue;
            int C = c->head[h].n_labels;
            float *dlog = a->logits[h]; /* logits are not needed any more */
            memset(dlog, 0, sizeof(float) * (size_t)S * C);
            tl_xent_backward(dlog, a->probs[h], b->labels[h], S, C, 1.0f);
            tl_matmul_backward(a->dS1, GT(m, a->hw[h]), GT(m, a->hb[h]), dlog, a->pool_d, PT(m, a->hw[h]), S, H, C);
        }
        memset(a->dS2, 0, sizeof(float) * sH);
        tl_dropout_backward(a->dS2, a->dS1, a->pool_mask, sH, p);
        memset(a->dS3, 0, sizeof(float) * sH);
        tl_tanh_backward(a->dS3, a->dS2, a->pool, sH);
        memset(a->dS1, 0, sizeof(float) * sH);
        tl_matmul_backward(a->dS1, GT(m, a->pw), GT(m, a->pb), a->dS3, a->cls, PT(m, a->pw), S, H, H);
        for (int s = 0; s < S; s++) {
            float *d = a->dx + (size_t)b->off[s] * H, *g = a->dS1 + (size_t)s * H;
            for (int i = 0; i < H; i++) d[i] += g[i];
        }
    }

    if (M) {
        float *dlog = a->mlogits;
        memset(dlog, 0, sizeof(float) * (size_t)M * V);
        tl_xent_backward(dlog, a->mprobs, a->mlab, M, V, 1.0f);
        memset(a->dM1, 0, sizeof(float) * mH);
        tl_matmul_backward(a->dM1, GT(m, a->wte), GT(m, a->mbias), dlog, a->t3, PT(m, a->wte), M, H, V);
        memset(a->dM2, 0, sizeof(float) * mH);
        tl_layernorm_backward(a->dM2, GT(m, a->mlnw), GT(m, a->mlnb), a->dM1, a->t2, PT(m, a->mlnw), a->t3_mean,
                              a->t3_rstd, M, H);
        memset(a->dM3, 0, sizeof(float) * mH);
        tl_gelu_backward(a->dM3, a->dM2, a->t1, mH);
        memset(a->dM4, 0, sizeof(float) * mH);
        tl_matmul_backward(a->dM4, GT(m, a->mtw), GT(m, a->mtb), a->dM3, a->mx, PT(m, a->mtw), M, H, H);
        for (int j = 0; j < M; j++) {
            float *d = a->dx + (size_t)a->mpos[j] * H, *g = a->dM4 + (size_t)j * H;
            for (int i = 0; i < H; i++) d[i] += g[i];
        }
    }

    size_t fl = sizeof(float) * nH, fi = sizeof(float) * (size_t)N * I;
    for (int l = c->layers - 1; l >= 0; l--) {
        layer_ix *ix = &a->lx[l];
        layer_acts *z = &a->la[l];
        const float *xin = l ? a->la[l - 1].ln2 : a->emb_out;
        /* ln2 = LN(o_d + ln1) */
        memset(a->dres, 0, fl);
        tl_layernorm_backward(a->dres, GT(m, ix->ln2w), GT(m, ix->ln2b), a->dx, z->res2, PT(m, ix->ln2w),
                              z->ln2_mean, z->ln2_rstd, N, H);
        memcpy(a->dln, a->dres, fl);
        memset(a->dtmp, 0, fl);
        tl_dropout_backward(a->dtmp, a->dres, z->o_mask, nH, p);
        memset(a->dI2, 0, fi);
        tl_matmul_backward(a->dI2, GT(m, ix->ow), GT(m, ix->ob), a->dtmp, z->g, PT(m, ix->ow), N, I, H);
        memset(a->dI1, 0, fi);
        tl_gelu_backward(a->dI1, a->dI2, z->h, (size_t)N * I);
        tl_matmul_backward(a->dln, GT(m, ix->iw), GT(m, ix->ib), a->dI1, z->ln1, PT(m, ix->iw), N, H, I);
        /* ln1 = LN(ao_d + x) */
        memset(a->dres, 0, fl);
        tl_layernorm_backward(a->dres, GT(m, ix->ln1w), GT(m, ix->ln1b), a->dln, z->res1, PT(m, ix->ln1w),
                              z->ln1_mean, z->ln1_rstd, N, H);
        memcpy(a->dx, a->dres, fl);
        memset(a->dtmp, 0, fl);
        tl_dropout_backward(a->dtmp, a->dres, z->ao_mask, nH, p);
        memset(a->dctx, 0, fl);
        tl_matmul_backward(a->dctx, GT(m, ix->aow), GT(m, ix->aob), a->dtmp, z->ctx, PT(m, ix->aow), N, H, H);
        memset(a->dq, 0, fl);
        memset(a->dk, 0, fl);
        memset(a->dv, 0, fl);
        tl_attention_backward(a->dq, a->dk, a->dv, a->dctx, z->att, z->q, z->k, z->v, b->off, S, H, nh);
        tl_matmul_backward(a->dx, GT(m, ix->qw), GT(m, ix->qb), a->dq, xin, PT(m, ix->qw), N, H, H);
        tl_matmul_backward(a->dx, GT(m, ix->kw), GT(m, ix->kb), a->dk, xin, PT(m, ix->kw), N, H, H);
        tl_matmul_backward(a->dx, GT(m, ix->vw), GT(m, ix->vb), a->dv, xin, PT(m, ix->vw), N, H, H);
    }

    memset(a->dtmp, 0, fl);
    tl_dropout_backward(a->dtmp, a->dx, a->emb_mask, nH, p);
    memset(a->dres, 0, fl);
    tl_layernorm_backward(a->dres, GT(m, a->elnw), GT(m, a->elnb), a->dtmp, a->emb_sum, PT(m, a->elnw), a->emb_mean,
                          a->emb_rstd, N, H);
    tl_embed_backward(GT(m, a->wte), GT(m, a->wpe), GT(m, a->wtt), a->dres, b->ids, b->pos, b->types, N, H);
}

/* ---- model directory ------------------------------------------------------------ */

static int is_mlm_tensor(const char *name) { return strncmp(name, "cls.predictions.", 16) == 0; }

/* model.safetensors through the one codec (classify/safetensors). */
static int write_safetensors(const tm_model *m, const char *path, int f16, int with_mlm, char *err, size_t errlen) {
    st_write_tensor *wt = xcalloc((size_t)m->ntensors, sizeof *wt);
    int n = 0;
    for (int i = 0; i < m->ntensors; i++) {
        const tm_tensor *t = &m->tensors[i];
        if (!with_mlm && is_mlm_tensor(t->name)) continue;
        st_write_tensor *w = &wt[n++];
        w->name = t->name;
        w->ndim = t->ndim;
        for (int d = 0; d < t->ndim; d++) w->shape[d] = t->shape[d];
        w->data = m->params + t->off;
    }
    int rc = st_write(path, wt, n, f16 ? ST_F16 : ST_F32, err, errlen);
    free(wt);
    return rc;
}

static int write_text(const char *path, const char *text, char *err, size_t errlen) {
    FILE *f = fopen(path, "wb");
    if (!f) {
        return err_set(err, errlen, "%s: %s", path, strerror(errno));
    }
    fputs(text, f);
    if (ferror(f) | fclose(f)) {
        return err_set(err, errlen, "%s: write failed", path);
    }
    return 0;
}

static char *config_json(const tm_model *m) {
    const tm_config *c = &m->cfg;
    cJSON *o = cJSON_CreateObject();
    cJSON *arch = cJSON_AddArrayToObject(o, "architectures");
    cJSON_AddItemToArray(arch, cJSON_CreateString(c->n_heads ? "BertForSequenceClassification" : "BertForMaskedLM"));
    cJSON_AddStringToObject(o, "model_type", "bert");
    cJSON_AddNumberToObject(o, "vocab_size", c->vocab_size);
    cJSON_AddNumberToObject(o, "hidden_size", c->hidden);
    cJSON_AddNumberToObject(o, "num_hidden_layers", c->layers);
    cJSON_AddNumberToObject(o, "num_attention_heads", c->heads);
    cJSON_AddNumberToObject(o, "intermediate_size", c->intermediate);
    cJSON_AddStringToObject(o, "hidden_act", "gelu");
    cJSON_AddNumberToObject(o, "hidden_dropout_prob", c->dropout);
    cJSON_AddNumberToObject(o, "attention_probs_dropout_prob", c->dropout);
    cJSON_AddNumberToObject(o, "max_position_embeddings", c->max_pos);
    cJSON_AddNumberToObject(o, "type_vocab_size", c->type_vocab);
    cJSON_AddNumberToObject(o, "layer_norm_eps", c->ln_eps);
    cJSON_AddNumberToObject(o, "initializer_range", 0.02);
    cJSON_AddNumberToObject(o, "pad_token_id", 0);
    cJSON *heads = cJSON_AddArrayToObject(o, "finsent_heads");
    for (int h = 0; h < c->n_heads; h++) {
        cJSON *ho = cJSON_CreateObject();
        cJSON_AddStringToObject(ho, "name", c->head[h].name);
        cJSON *id2 = cJSON_AddObjectToObject(ho, "id2label");
        for (int i = 0; i < c->head[h].n_labels; i++) {
            char k[16];
            snprintf(k, sizeof k, "%d", i);
            cJSON_AddStringToObject(id2, k, c->head[h].labels[i]);
        }
        cJSON_AddItemToArray(heads, ho);
    }
    char *s = cJSON_Print(o);
    cJSON_Delete(o);
    return s;
}

static int copy_file(const char *from, const char *to, char *err, size_t errlen) {
    FILE *in = fopen(from, "rb");
    if (!in) {
        return err_set(err, errlen, "%s: %s", from, strerror(errno));
    }
    FILE *out = fopen(to, "wb");
    if (!out) {
        err_set(err, errlen, "%s: %s", to, strerror(errno));
        fclose(in);
        return -1;
    }
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
    int bad = ferror(in);
    fclose(in);
    if (bad | ferror(out) | fclose(out)) {
        return err_set(err, errlen, "%s: copy from %s failed", to, from);
    }
    return 0;
}

int tm_save_dir(const tm_model *m, const char *dir, const char *vocab_path, int lowercase, int f16, int with_mlm,
                char *err, size_t errlen) {
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        return err_set(err, errlen, "%s: %s", dir, strerror(errno));
    }
    static const char *const names[4] = {"model.safetensors", "config.json", "vocab.txt", "tokenizer_config.json"};
    char tmp[4][1024], fin[1024];
    for (int i = 0; i < 4; i++) snprintf(tmp[i], sizeof tmp[i], "%s/.%s.tmp", dir, names[i]);
    char *cfg = config_json(m);
    char tokcfg[128];
    snprintf(tokcfg, sizeof tokcfg, "{\n  \"do_lower_case\": %s,\n  \"tokenizer_class\": \"BertTokenizer\"\n}\n",
             lowercase ? "true" : "false");
    int rc = write_safetensors(m, tmp[0], f16, with_mlm, err, errlen);
    if (!rc) rc = write_text(tmp[1], cfg, err, errlen);
    if (!rc) rc = copy_file(vocab_path, tmp[2], err, errlen);
    if (!rc) rc = write_text(tmp[3], tokcfg, err, errlen);
    free(cfg);
    for (int i = 0; i < 4; i++) {
        snprintf(fin, sizeof fin, "%s/%s", dir, names[i]);
        if (!rc && rename(tmp[i], fin) != 0) {
            rc = err_set(err, errlen, "%s: %s", fin, strerror(errno));
        }
        if (rc) remove(tmp[i]);
    }
    return rc;
}

/* ---- loading ------------------------------------------------------------------- */

int tm_load_safetensors(tm_model *m, const char *path, int strict, int *loaded, char *err, size_t errlen) {
    st_file *f = st_open(path, err, errlen);
    if (!f) return -1;
    int rc = 0, count = 0;
    for (int i = 0; i < m->ntensors && rc == 0; i++) {
        const tm_tensor *t = &m->tensors[i];
        int64_t shape[2] = {t->shape[0], t->shape[1]};
        int got = st_read_f32(f, t->name, t->ndim, shape, m->params + t->off, err, errlen);
        if (got == 0) count++;
        else if (got < 0) rc = -1;
        else if (strict) rc = err_set(err, errlen, "%s: tensor '%s': missing", path, t->name);
    }
    st_close(f);
    if (rc == 0 && loaded) *loaded = count;
    return rc;
}
