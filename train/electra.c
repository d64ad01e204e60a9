/* electra — replaced-token detection: generator, sampling, the
 * discriminator's token head, the joint step, its checkpoint; see
 * electra.h. */
#include "train/electra.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/errmsg.h"
#include "util/xalloc.h"

static const char *const shared_names[3] = {"bert.embeddings.word_embeddings.weight",
                                            "bert.embeddings.position_embeddings.weight",
                                            "bert.embeddings.token_type_embeddings.weight"};

/* Copies the discriminator's shared embeddings into the generator. */
static void copy_shared(electra *e, const tm_model *disc) {
    for (int i = 0; i < 3; i++) {
        const tm_tensor *d = &disc->tensors[e->shared[i]], *g = &e->gen->tensors[e->gen_shared[i]];
        memcpy(e->gen->params + g->off, disc->params + d->off, sizeof(float) * d->numel);
    }
}

electra *electra_new(tm_model *disc, const electra_cfg *cfg, rng_pcg *rng, char *err, size_t errlen) {
    const tm_config *dc = &disc->cfg;
    tm_config gc = {.vocab_size = dc->vocab_size, .hidden = dc->hidden, .layers = cfg->gen_layers, .heads = dc->heads,
                    .intermediate = cfg->gen_intermediate, .max_pos = dc->max_pos, .type_vocab = dc->type_vocab,
                    .ln_eps = dc->ln_eps, .dropout = dc->dropout, .mlm = 1, .n_heads = 0};
    tm_model *gen = tm_new(&gc, err, errlen);
    if (!gen) return NULL;
    electra *e = xcalloc(1, sizeof *e);
    e->cfg = *cfg;
    e->gen = gen;
    for (int i = 0; i < 3; i++) {
        e->shared[i] = (int)(tm_find(disc, shared_names[i]) - disc->tensors);
        e->gen_shared[i] = (int)(tm_find(gen, shared_names[i]) - gen->tensors);
    }
    tm_init_weights(gen, rng);
    copy_shared(e, disc);
    /* the generator's optimiser leaves the shared tables to the discriminator's */
    int n;
    optim_range *all = tm_optim_ranges(gen, &n);
    e->gen_ranges = xmalloc(sizeof *e->gen_ranges * (size_t)n);
    for (int i = 0; i < n; i++)
        if (i != e->gen_shared[0] && i != e->gen_shared[1] && i != e->gen_shared[2]) e->gen_ranges[e->gen_nr++] = all[i];
    free(all);
    optim_adamw_init(&e->gen_opt, gen->nparams, 0.9f, 0.999f, 1e-8f, 0.01f);

    int H = e->H = dc->hidden;
    e->nhead = (size_t)H * H + (size_t)H + (size_t)H + 1;
    e->params = xcalloc(e->nhead, sizeof(float));
    e->grads = xcalloc(e->nhead, sizeof(float));
    for (size_t i = 0; i < (size_t)H * H; i++) e->params[i] = 0.02f * rng_normal(rng);
    float *w2 = e->params + (size_t)H * H + H;
    for (int i = 0; i < H; i++) w2[i] = 0.02f * rng_normal(rng);
    size_t o = 0;
    e->head_ranges[0] = (optim_range){o, (size_t)H * H, 1}, o += (size_t)H * H;
    e->head_ranges[1] = (optim_range){o, (size_t)H, 0}, o += (size_t)H;
    e->head_ranges[2] = (optim_range){o, (size_t)H, 1}, o += (size_t)H;
    e->head_ranges[3] = (optim_range){o, 1, 0};
    optim_adamw_init(&e->head_opt, e->nhead, 0.9f, 0.999f, 1e-8f, 0.01f);
    return e;
}

void electra_free(electra *e) {
    if (!e) return;
    tm_free(e->gen);
    optim_adamw_free(&e->gen_opt);
    optim_adamw_free(&e->head_opt);
    free(e->gen_ranges);
    free(e->params), free(e->grads);
    free(e->gen_ids), free(e->mlm), free(e->disc_ids);
    free(e->y), free(e->h1), free(e->g1), free(e->z), free(e->dz), free(e->dg), free(e->dh1), free(e->dhid);
    free(e);
}

/* Grows the scratch to n tokens. */
static void ensure(electra *e, int n) {
    if (n <= e->cap) return;
    e->cap = n + n / 2;
    size_t N = (size_t)e->cap, NH = N * (size_t)e->H;
    e->gen_ids = xrealloc(e->gen_ids, sizeof(int32_t) * N);
    e->mlm = xrealloc(e->mlm, sizeof(int32_t) * N);
    e->disc_ids = xrealloc(e->disc_ids, sizeof(int32_t) * N);
    e->y = xrealloc(e->y, sizeof(float) * N);
    e->z = xrealloc(e->z, sizeof(float) * N);
    e->dz = xrealloc(e->dz, sizeof(float) * N);
    e->h1 = xrealloc(e->h1, sizeof(float) * NH);
    e->g1 = xrealloc(e->g1, sizeof(float) * NH);
    e->dg = xrealloc(e->dg, sizeof(float) * NH);
    e->dh1 = xrealloc(e->dh1, sizeof(float) * NH);
    e->dhid = xrealloc(e->dhid, sizeof(float) * NH);
}

float electra_disc_loss(electra *e, tm_model *disc, const tm_batch *b, const float *y, int train, rng_pcg *rng,
                        int backward) {
    int N = b->N, H = e->H;
    ensure(e, N);
    const float *w1 = e->params, *b1 = w1 + (size_t)H * H, *w2 = b1 + H, *b2 = w2 + H;
    tm_forward(disc, b, train, rng);
    const float *x = tm_hidden(disc);
    tl_matmul_forward(e->h1, x, w1, b1, N, H, H);
    tl_gelu_forward(e->g1, e->h1, (size_t)N * H);
    tl_matmul_forward(e->z, e->g1, w2, b2, N, H, 1);
    double loss = 0;
    int right = 0;
    for (int t = 0; t < N; t++) {
        float z = e->z[t];
        /* softplus(z) - y z, computed stably */
        loss += (double)fmaxf(z, 0.0f) - (double)(y[t] * z) + log1p(exp(-fabs((double)z)));
        right += (z > 0) == (y[t] > 0.5f);
    }
    e->disc_loss = N ? (float)(loss / N) : 0.0f;
    e->disc_acc = N ? (float)right / (float)N : 0.0f;
    if (backward && N) {
        float *gw1 = e->grads, *gb1 = gw1 + (size_t)H * H, *gw2 = gb1 + H, *gb2 = gw2 + H;
        float scale = e->cfg.disc_weight / (float)N;
        for (int t = 0; t < N; t++) e->dz[t] = scale * (1.0f / (1.0f + expf(-e->z[t])) - y[t]);
        size_t nH = (size_t)N * H;
        memset(e->dg, 0, sizeof(float) * nH);
        tl_matmul_backward(e->dg, gw2, gb2, e->dz, e->g1, w2, N, H, 1);
        memset(e->dh1, 0, sizeof(float) * nH);
        tl_gelu_backward(e->dh1, e->dg, e->h1, nH);
        memset(e->dhid, 0, sizeof(float) * nH);
        tl_matmul_backward(e->dhid, gw1, gb1, e->dh1, x, w1, N, H, H);
        tm_backward_hidden(disc, e->dhid);
    }
    return e->cfg.disc_weight * e->disc_loss;
}

/* A token drawn from the probability row p (V entries). */
static int32_t sample(const float *p, int V, rng_pcg *r) {
    float u = rng_uniform(r), acc = 0;
    int last = 0;
    for (int i = 0; i < V; i++) {
        if (p[i] <= 0) continue;
        acc += p[i];
        last = i;
        if (u < acc) return i;
    }
    return last; /* u beyond the rounded sum */
}

static double sumsq(const float *g, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)g[i] * g[i];
    return s;
}

static void scale(float *g, size_t n, float k) {
    for (size_t i = 0; i < n; i++) g[i] *= k;
}

float electra_step(electra *e, tm_model *disc, optim_adamw *dopt, const optim_range *dranges, int ndr,
                   const tm_batch *b, float lr, float clip, rng_pcg *rng) {
    int N = b->N, V = disc->cfg.vocab_size;
    tm_model *gen = e->gen;
    ensure(e, N);
    tm_zero_grad(disc);
    tm_zero_grad(gen);
    memset(e->grads, 0, sizeof(float) * e->nhead);

    /* the generator fills the masked positions */
    memcpy(e->gen_ids, b->ids, sizeof(int32_t) * (size_t)N);
    mask_apply(e->gen_ids, e->mlm, N, &e->cfg.mask, rng);
    tm_batch gb = {.S = b->S, .N = N, .off = b->off, .ids = e->gen_ids, .pos = b->pos, .types = b->types,
                   .mlm_labels = e->mlm};
    tm_forward(gen, &gb, 1, rng);
    e->gen_loss = gen->mlm_loss;
    memcpy(e->disc_ids, b->ids, sizeof(int32_t) * (size_t)N);
    e->n_replaced = 0;
    for (int t = 0, j = 0; t < N; t++) {
        if (e->mlm[t] >= 0) e->disc_ids[t] = sample(gen->mlm_probs + (size_t)j++ * V, V, rng);
        e->y[t] = e->disc_ids[t] != b->ids[t];
        e->n_replaced += e->disc_ids[t] != b->ids[t];
    }
    e->n_tokens = N;

    /* the discriminator says which tokens were replaced */
    tm_batch db = {.S = b->S, .N = N, .off = b->off, .ids = e->disc_ids, .pos = b->pos, .types = b->types};
    float dl = electra_disc_loss(e, disc, &db, e->y, 1, rng, 1);
    tm_backward(gen);
    for (int i = 0; i < 3; i++) {
        const tm_tensor *d = &disc->tensors[e->shared[i]], *g = &gen->tensors[e->gen_shared[i]];
        float *dd = disc->grads + d->off, *gg = gen->grads + g->off;
        for (size_t k = 0; k < d->numel; k++) dd[k] += gg[k];
        memset(gg, 0, sizeof(float) * g->numel);
    }
    /* one global norm over everything trained (torch's clip_grad_norm_ over the joint model) */
    double norm = sqrt(sumsq(disc->grads, disc->nparams) + sumsq(gen->grads, gen->nparams) + sumsq(e->grads, e->nhead));
    if (clip > 0 && norm > clip) {
        float k = (float)(clip / (norm + 1e-6));
        scale(disc->grads, disc->nparams, k);
        scale(gen->grads, gen->nparams, k);
        scale(e->grads, e->nhead, k);
    }
    optim_adamw_step(dopt, disc->params, disc->grads, dranges, ndr, lr);
    optim_adamw_step(&e->gen_opt, gen->params, gen->grads, e->gen_ranges, e->gen_nr, lr);
    optim_adamw_step(&e->head_opt, e->params, e->grads, e->head_ranges, 4, lr);
    copy_shared(e, disc);
    return e->gen_loss + dl;
}

/* ---- checkpoint ---------------------------------------------------------------- */

static const char magic[8] = {'F', 'S', 'E', 'L', 'E', 'C', 'T', '2'};

int electra_save(const electra *e, const char *path, char *err, size_t errlen) {
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        return err_set(err, errlen, "%s: %s", tmp, strerror(errno));
    }
    uint64_t sizes[2] = {e->gen->nparams, e->nhead};
    fwrite(magic, 1, sizeof magic, f);
    fwrite(sizes, sizeof sizes, 1, f);
    fwrite(e->gen->params, sizeof(float), e->gen->nparams, f);
    optim_adamw_write(&e->gen_opt, f);
    fwrite(e->params, sizeof(float), e->nhead, f);
    if (optim_adamw_write(&e->head_opt, f) | fclose(f) || rename(tmp, path)) {
        remove(tmp);
        return err_set(err, errlen, "%s: write failed", path);
    }
    return 0;
}

int electra_load(electra *e, const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    char mg[sizeof magic];
    uint64_t sizes[2];
    int ok = f && fread(mg, 1, sizeof mg, f) == sizeof mg && memcmp(mg, magic, sizeof magic) == 0 &&
             fread(sizes, sizeof sizes, 1, f) == 1 && sizes[0] == e->gen->nparams && sizes[1] == e->nhead &&
             fread(e->gen->params, sizeof(float), e->gen->nparams, f) == e->gen->nparams &&
             optim_adamw_read(&e->gen_opt, f) == 0 && fread(e->params, sizeof(float), e->nhead, f) == e->nhead &&
             optim_adamw_read(&e->head_opt, f) == 0;
    if (f) fclose(f);
    if (!ok) {
        return err_set(err, errlen, "%s: missing, truncated or for another generator shape", path);
    }
    return 0;
}
