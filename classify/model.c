/* model — parameter layout, loading from a Hugging Face directory and
 * random initialisation; see model.h. */
#include "classify/model.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/safetensors.h"
#include "classify/wpack.h"
#include "util/errmsg.h"
#include "util/rng.h"
#include "util/xalloc.h"

/* Carves the parameter buffer into tensors (qkv weights adjacent so that
 * one sgemm computes all three) and sets head offsets. */
static void carve(cls_model *m) {
    const model_config *c = &m->cfg;
    size_t C = (size_t)c->hidden_size, I = (size_t)c->intermediate_size;
    size_t n = (size_t)c->vocab_size * C + (size_t)c->max_position * C + (size_t)c->type_vocab_size * C + 2 * C;
    n += (size_t)c->num_layers * (3 * C * C + 3 * C + C * C + C + 2 * C + I * C + I + C * I + C + 2 * C);
    n += C * C + C;
    m->head_off = xcalloc((size_t)c->n_heads, sizeof *m->head_off);
    m->n_out = 0;
    for (int h = 0; h < c->n_heads; h++) {
        m->head_off[h] = m->n_out;
        m->n_out += c->heads[h].n_labels;
        n += (size_t)c->heads[h].n_labels * (C + 1);
    }
    m->n_params = n;
    m->params = xcalloc(n, sizeof(float));
    float *p = m->params;
#define TAKE(ptr, count) ((ptr) = p, p += (count))
    TAKE(m->word_emb, (size_t)c->vocab_size * C);
    TAKE(m->pos_emb, (size_t)c->max_position * C);
    TAKE(m->type_emb, (size_t)c->type_vocab_size * C);
    TAKE(m->emb_ln_w, C);
    TAKE(m->emb_ln_b, C);
    m->layers = xcalloc((size_t)c->num_layers, sizeof *m->layers);
    for (int l = 0; l < c->num_layers; l++) {
        enc_layer_w *L = &m->layers[l];
        TAKE(L->qkv_w, 3 * C * C);
        TAKE(L->qkv_b, 3 * C);
        TAKE(L->ao_w, C * C);
        TAKE(L->ao_b, C);
        TAKE(L->ln1_w, C);
        TAKE(L->ln1_b, C);
        TAKE(L->i_w, I * C);
        TAKE(L->i_b, I);
        TAKE(L->o_w, C * I);
        TAKE(L->o_b, C);
        TAKE(L->ln2_w, C);
        TAKE(L->ln2_b, C);
    }
    TAKE(m->pool_w, C * C);
    TAKE(m->pool_b, C);
    m->heads = xcalloc((size_t)c->n_heads, sizeof *m->heads);
    for (int h = 0; h < c->n_heads; h++) {
        TAKE(m->heads[h].w, (size_t)c->heads[h].n_labels * C);
        TAKE(m->heads[h].b, (size_t)c->heads[h].n_labels);
    }
#undef TAKE
}

static int add_param(cls_param *out, int cap, int k, float *data, int ndim, int64_t d0, int64_t d1,
                     const char *fmt, ...) __attribute__((format(printf, 8, 9)));
static int add_param(cls_param *out, int cap, int k, float *data, int ndim, int64_t d0, int64_t d1,
                     const char *fmt, ...) {
    if (k < cap) {
        cls_param *p = &out[k];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->name, sizeof p->name, fmt, ap);
        va_end(ap);
        p->data = data;
        p->ndim = ndim;
        p->shape[0] = d0;
        p->shape[1] = ndim == 2 ? d1 : 0;
        p->numel = (size_t)d0 * (size_t)(ndim == 2 ? d1 : 1);
    }
    return k + 1;
}

int cls_model_tensors(const cls_model *m, cls_param *out, int cap) {
    const model_config *c = &m->cfg;
    int64_t C = c->hidden_size, I = c->intermediate_size;
    int k = 0;
    k = add_param(out, cap, k, m->word_emb, 2, c->vocab_size, C, "bert.embeddings.word_embeddings.weight");
    k = add_param(out, cap, k, m->pos_emb, 2, c->max_position, C, "bert.embeddings.position_embeddings.weight");
    k = add_param(out, cap, k, m->type_emb, 2, c->type_vocab_size, C, "bert.embeddings.token_type_embeddings.weight");
    k = add_param(out, cap, k, m->emb_ln_w, 1, C, 0, "bert.embeddings.LayerNorm.weight");
    k = add_param(out, cap, k, m->emb_ln_b, 1, C, 0, "bert.embeddings.LayerNorm.bias");
    static const char *qkv[3] = {"query", "key", "value"};
    for (int l = 0; l < c->num_layers; l++) {
        const enc_layer_w *L = &m->layers[l];
        for (int j = 0; j < 3; j++) {
            k = add_param(out, cap, k, L->qkv_w + j * C * C, 2, C, C, "bert.encoder.layer.%d.attention.self.%s.weight",
                          l, qkv[j]);
            k = add_param(out, cap, k, L->qkv_b + j * C, 1, C, 0, "bert.encoder.layer.%d.attention.self.%s.bias", l,
                          qkv[j]);
        }
        k = add_param(out, cap, k, L->ao_w, 2, C, C, "bert.encoder.layer.%d.attention.output.dense.weight", l);
        k = add_param(out, cap, k, L->ao_b, 1, C, 0, "bert.encoder.layer.%d.attention.output.dense.bias", l);
        k = add_param(out, cap, k, L->ln1_w, 1, C, 0, "bert.encoder.layer.%d.attention.output.LayerNorm.weight", l);
        k = add_param(out, cap, k, L->ln1_b, 1, C, 0, "bert.encoder.layer.%d.attention.output.LayerNorm.bias", l);
        k = add_param(out, cap, k, L->i_w, 2, I, C, "bert.encoder.layer.%d.intermediate.dense.weight", l);
        k = add_param(out, cap, k, L->i_b, 1, I, 0, "bert.encoder.layer.%d.intermediate.dense.bias", l);
        k = add_param(out, cap, k, L->o_w, 2, C, I, "bert.encoder.layer.%d.output.dense.weight", l);
        k = add_param(out, cap, k, L->o_b, 1, C, 0, "bert.encoder.layer.%d.output.dense.bias", l);
        k = add_param(out, cap, k, L->ln2_w, 1, C, 0, "bert.encoder.layer.%d.output.LayerNorm.weight", l);
        k = add_param(out, cap, k, L->ln2_b, 1, C, 0, "bert.encoder.layer.%d.output.LayerNorm.bias", l);
    }
    k = add_param(out, cap, k, m->pool_w, 2, C, C, "bert.pooler.dense.weight");
    k = add_param(out, cap, k, m->pool_b, 1, C, 0, "bert.pooler.dense.bias");
    for (int h = 0; h < c->n_heads; h++) {
        int64_t n = c->heads[h].n_labels;
        if (c->multi_head) {
            k = add_param(out, cap, k, m->heads[h].w, 2, n, C, "classifier.%s.weight", c->heads[h].name);
            k = add_param(out, cap, k, m->heads[h].b, 1, n, 0, "classifier.%s.bias", c->heads[h].name);
        } else {
            k = add_param(out, cap, k, m->heads[h].w, 2, n, C, "classifier.weight");
            k = add_param(out, cap, k, m->heads[h].b, 1, n, 0, "classifier.bias");
        }
    }
    return k;
}

int cls_model_head(const cls_model *m, const char *name) {
    for (int h = 0; h < m->cfg.n_heads; h++)
        if (strcmp(m->cfg.heads[h].name, name) == 0) return h;
    return -1;
}

void cls_model_free(cls_model *m) {
    if (!m) return;
    for (int i = 0; m->dense && i < 4 * m->cfg.num_layers; i++) {
        wp_f32_free(&m->dense[i].f32);
        wp_q8_free(&m->dense[i].q8);
    }
    free(m->dense);
    mcfg_free(&m->cfg);
    free(m->dir);
    free(m->params);
    free(m->layers);
    free(m->heads);
    free(m->head_off);
    free(m);
}

/* Copies one parameter from the file, checking presence, dtype and shape. */
static int load_param(const st_file *f, const cls_param *p, char *err, size_t errlen) {
    int rc = st_read_f32(f, p->name, p->ndim, p->shape, p->data, err, errlen);
    if (rc == 1) return err_set(err, errlen, "%s: tensor '%s': missing", st_path(f), p->name);
    return rc;
}

/* Reads do_lower_case from dir/tokenizer_config.json (absent file: 1). */
static int read_lower_case(const char *dir, int *out, char *err, size_t errlen) {
    char *path = xasprintf("%s/tokenizer_config.json", dir);
    *out = 1;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        int rc = errno == ENOENT ? 0 : -1;
        if (rc) err_set(err, errlen, "%s: %s", path, strerror(errno));
        free(path);
        return rc;
    }
    size_t cap = 1 << 20, n;
    char *buf = xmalloc(cap);
    n = fread(buf, 1, cap, fp);
    fclose(fp);
    cJSON *root = n < cap ? cJSON_ParseWithLength(buf, n) : NULL;
    free(buf);
    int rc = 0;
    if (!cJSON_IsObject(root)) {
        err_set(err, errlen, "%s: not a JSON object (or over 1 MiB)", path);
        rc = -1;
    } else {
        const cJSON *lc = cJSON_GetObjectItemCaseSensitive(root, "do_lower_case");
        if (lc && !cJSON_IsBool(lc)) {
            err_set(err, errlen, "%s: \"do_lower_case\": expected true or false", path);
            rc = -1;
        } else if (lc) {
            *out = cJSON_IsTrue(lc);
        }
    }
    cJSON_Delete(root);
    free(path);
    return rc;
}

cls_model *cls_model_load(const char *dir, const char *head_name, char *err, size_t errlen) {
    char *cfg_path = xasprintf("%s/config.json", dir);
    char *st_pathname = xasprintf("%s/model.safetensors", dir);
    cls_model *m = xcalloc(1, sizeof *m);
    st_file *f = NULL;
    cls_param *params = NULL;
    m->dir = xstrdup(dir);
    if (mcfg_load(cfg_path, head_name, &m->cfg, err, errlen) != 0) goto fail;
    if (read_lower_case(dir, &m->do_lower_case, err, errlen) != 0) goto fail;
    f = st_open(st_pathname, err, errlen);
    if (!f) goto fail;
    /* Heads without id2label take their label count from the tensor. */
    for (int h = 0; h < m->cfg.n_heads; h++) {
        mcfg_head *hd = &m->cfg.heads[h];
        if (hd->n_labels) continue;
        char name[96];
        snprintf(name, sizeof name, m->cfg.multi_head ? "classifier.%s.weight" : "classifier.weight", hd->name);
        const st_tensor *t = st_find(f, name);
        if (!t) {
            err_set(err, errlen, "%s: tensor '%s': missing", st_pathname, name);
            goto fail;
        }
        if (t->ndim != 2 || t->shape[0] < 1 || t->shape[0] > 4096) {
            err_set(err, errlen, "%s: tensor '%s': expected shape [labels, %d]", st_pathname, name,
                   m->cfg.hidden_size);
            goto fail;
        }
        mcfg_default_labels(hd, (int)t->shape[0]);
    }
    carve(m);
    int n = cls_model_tensors(m, NULL, 0);
    params = xcalloc((size_t)n, sizeof *params);
    cls_model_tensors(m, params, n);
    for (int i = 0; i < n; i++)
        if (load_param(f, &params[i], err, errlen) != 0) goto fail;
    free(params);
    st_close(f);
    free(cfg_path);
    free(st_pathname);
    return m;
fail:
    free(params);
    st_close(f);
    cls_model_free(m);
    free(cfg_path);
    free(st_pathname);
    return NULL;
}

cls_model *cls_model_random(model_config *cfg, uint64_t seed) {
    cls_model *m = xcalloc(1, sizeof *m);
    m->cfg = *cfg;
    memset(cfg, 0, sizeof *cfg);
    m->do_lower_case = 1;
    for (int h = 0; h < m->cfg.n_heads; h++)
        if (!m->cfg.heads[h].n_labels) mcfg_default_labels(&m->cfg.heads[h], 2);
    carve(m);
    int n = cls_model_tensors(m, NULL, 0);
    cls_param *ps = xcalloc((size_t)n, sizeof *ps);
    cls_model_tensors(m, ps, n);
    rng_pcg r;
    rng_seed(&r, seed, 0);
    for (int i = 0; i < n; i++) {
        const char *leaf = strrchr(ps[i].name, '.') + 1;
        int is_ln = strstr(ps[i].name, "LayerNorm") != NULL;
        for (size_t j = 0; j < ps[i].numel; j++)
            ps[i].data[j] = is_ln ? (strcmp(leaf, "weight") == 0 ? 1.0f : 0.0f)
                                  : strcmp(leaf, "bias") == 0 ? 0.0f : 0.02f * rng_normal(&r);
    }
    free(ps);
    return m;
}
