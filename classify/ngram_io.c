/* ngram_io — the n-gram part of a model directory: "finsent_ngram" in
 * config.json and the finsent.ngram.* tensors; see ngram.h. Settings and
 * shapes are checked before any weight is allocated. */
#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "classify/ngram.h"
#include "classify/safetensors.h"
#include "util/errmsg.h"
#include "util/xalloc.h"

#define NGRAM_PREFIX "finsent.ngram."

/* Reads a whole file (NUL-terminated); NULL with err when it cannot. */
static char *slurp(const char *path, size_t *len, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        err_set(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 65536, n = 0, got;
    char *buf = xmalloc(cap);
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) buf = xrealloc(buf, cap *= 2);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        err_set(err, errlen, "%s: read failed", path);
        return NULL;
    }
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

/* What config.json says, before any tensor is read. */
typedef struct ngram_conf {
    ngram_settings s;
    int n_heads;
    int head[16];   /* model head index */
    float mix[16];
} ngram_conf;

static int is_int_in(const cJSON *j, double lo, double hi) {
    return cJSON_IsNumber(j) && j->valuedouble >= lo && j->valuedouble <= hi && j->valuedouble == floor(j->valuedouble);
}

/* fn[key]: distinct integers 1..max, at least min_n of them (absent counts
 * as none), into out[*n]. */
static int parse_orders(const char *path, const cJSON *fn, const char *key, int min_n, int max, int *out, int *n,
                        char *err, size_t errlen) {
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(fn, key), *it;
    int no = cJSON_GetArraySize(o);
    if ((o && !cJSON_IsArray(o)) || no < min_n || no > max)
        return err_set(err, errlen, "%s: \"finsent_ngram\".%s: expected %d to %d n-gram orders", path, key, min_n,
                       max);
    *n = 0;
    cJSON_ArrayForEach(it, o) {
        int dup = 0;
        for (int k = 0; k < *n; k++) dup |= is_int_in(it, 1, max) && out[k] == it->valueint;
        if (!is_int_in(it, 1, max) || dup)
            return err_set(err, errlen, "%s: \"finsent_ngram\".%s: expected distinct integers 1 to %d", path, key, max);
        out[(*n)++] = it->valueint;
    }
    return 0;
}

/* Parses "finsent_ngram" (fn) of path against cfg's heads. */
static int parse_conf(const char *path, const cJSON *fn, const model_config *cfg, ngram_conf *c, char *err,
                      size_t errlen) {
    memset(c, 0, sizeof *c);
    if (!cJSON_IsObject(fn)) return err_set(err, errlen, "%s: \"finsent_ngram\": expected an object", path);
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(fn, "buckets");
    if (!is_int_in(b, 1, NGRAM_MAX_BUCKETS))
        return err_set(err, errlen, "%s: \"finsent_ngram\".buckets: expected an integer 1 to %d", path,
                       NGRAM_MAX_BUCKETS);
    c->s.buckets = (int)b->valuedouble;
    if (parse_orders(path, fn, "orders", 1, NGRAM_MAX_ORDER, c->s.orders, &c->s.n_orders, err, errlen) ||
        parse_orders(path, fn, "char_orders", 0, NGRAM_MAX_CHAR_ORDER, c->s.char_orders, &c->s.n_char_orders, err,
                     errlen))
        return -1;
    const cJSON *hs = cJSON_GetObjectItemCaseSensitive(fn, "heads"), *it;
    int nh = cJSON_GetArraySize(hs);
    if (!cJSON_IsArray(hs) || nh < 1 || nh > cfg->n_heads || nh > 16)
        return err_set(err, errlen, "%s: \"finsent_ngram\".heads: expected 1 to %d heads", path,
                       cfg->n_heads < 16 ? cfg->n_heads : 16);
    cJSON_ArrayForEach(it, hs) {
        int k = c->n_heads;
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(it, "name"), *mx = cJSON_GetObjectItemCaseSensitive(it, "mix");
        int h = -1;
        for (int i = 0; cJSON_IsString(nm) && i < cfg->n_heads; i++)
            if (strcmp(cfg->heads[i].name, nm->valuestring) == 0) h = i;
        for (int i = 0; i < k; i++)
            if (c->head[i] == h) h = -1;
        if (h < 0)
            return err_set(err, errlen, "%s: \"finsent_ngram\".heads[%d].name: expected a head of the model, once", path,
                           k);
        if (!cJSON_IsNumber(mx) || !(mx->valuedouble >= 0 && mx->valuedouble <= 1000))
            return err_set(err, errlen, "%s: \"finsent_ngram\".heads[%d].mix: expected a number 0 to 1000", path, k);
        c->head[k] = h;
        c->mix[k] = (float)mx->valuedouble;
        c->n_heads++;
    }
    return 0;
}

/* The tensor name of head h's part: "finsent.ngram.<head>.<leaf>". */
static void head_tensor(char *buf, size_t n, const char *head, const char *leaf) {
    snprintf(buf, n, NGRAM_PREFIX "%s.%s", head, leaf);
}

/* Finds a float tensor of the given shape (d1 0: one dimension). */
static const st_tensor *want_tensor(const st_file *f, const char *name, int64_t d0, int64_t d1, char *err,
                                    size_t errlen) {
    const st_tensor *t = st_find(f, name);
    int ndim = d1 ? 2 : 1;
    if (!t) {
        err_set(err, errlen, "%s: tensor '%s': missing", st_path(f), name);
        return NULL;
    }
    if (t->ndim != ndim || t->shape[0] != d0 || (ndim == 2 && t->shape[1] != d1)) {
        if (ndim == 2)
            err_set(err, errlen, "%s: tensor '%s': expected shape [%lld, %lld]", st_path(f), name, (long long)d0,
                    (long long)d1);
        else
            err_set(err, errlen, "%s: tensor '%s': expected shape [%lld]", st_path(f), name, (long long)d0);
        return NULL;
    }
    if (t->dtype != ST_F32 && t->dtype != ST_F16 && t->dtype != ST_BF16) {
        err_set(err, errlen, "%s: tensor '%s': dtype %s, expected F32, F16 or BF16", st_path(f), name,
                st_dtype_name(t->dtype));
        return NULL;
    }
    return t;
}

/* ngram_load with the two files named: config_path (config.json) and
 * st_pathname (model.safetensors). */
int ngram_load_files(const char *config_path, const char *st_pathname, const model_config *cfg, ngram_model **out,
                     char *err, size_t errlen) {
    *out = NULL;
    size_t n;
    char *text = slurp(config_path, &n, err, errlen);
    if (!text) return -1;
    cJSON *root = cJSON_ParseWithLength(text, n);
    free(text);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return err_set(err, errlen, "%s: not a JSON object", config_path);
    }
    const cJSON *fn = cJSON_GetObjectItemCaseSensitive(root, "finsent_ngram");
    ngram_conf c;
    int rc = fn ? parse_conf(config_path, fn, cfg, &c, err, errlen) : 0;
    cJSON_Delete(root);
    if (!fn || rc) return rc;
    st_file *f = st_open(st_pathname, err, errlen);
    if (!f) return -1;
    const st_tensor *idf = want_tensor(f, NGRAM_PREFIX "idf", c.s.buckets, 0, err, errlen);
    const st_tensor *tw[16] = {0}, *tb[16] = {0};
    for (int k = 0; idf && k < c.n_heads; k++) {
        const mcfg_head *hd = &cfg->heads[c.head[k]];
        char name[160];
        head_tensor(name, sizeof name, hd->name, "weight");
        if (!(tw[k] = want_tensor(f, name, hd->n_labels, c.s.buckets, err, errlen))) break;
        head_tensor(name, sizeof name, hd->name, "bias");
        if (!(tb[k] = want_tensor(f, name, hd->n_labels, 0, err, errlen))) break;
    }
    if (!idf || (c.n_heads && !tb[c.n_heads - 1])) {
        st_close(f);
        return -1;
    }
    const char *names[16];
    int nl[16];
    for (int k = 0; k < c.n_heads; k++) {
        names[k] = cfg->heads[c.head[k]].name;
        nl[k] = cfg->heads[c.head[k]].n_labels;
    }
    ngram_model *m = ngram_new(&c.s, c.n_heads, names, nl);
    st_to_f32(idf, m->idf);
    for (int k = 0; k < c.n_heads; k++) {
        m->heads[k].head = c.head[k];
        m->heads[k].mix = c.mix[k];
        st_to_f32(tw[k], m->heads[k].w);
        st_to_f32(tb[k], m->heads[k].b);
    }
    st_close(f);
    *out = m;
    return 0;
}

int ngram_load(const char *dir, const model_config *cfg, ngram_model **out, char *err, size_t errlen) {
    char *cp = xasprintf("%s/config.json", dir), *sp = xasprintf("%s/model.safetensors", dir);
    int rc = ngram_load_files(cp, sp, cfg, out, err, errlen);
    free(cp);
    free(sp);
    return rc;
}

/* Writes data[0..n) to path via path.tmp and rename. */
static int write_file(const char *path, const char *data, size_t n, char *err, size_t errlen) {
    char *tmp = xasprintf("%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    int rc = 0;
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0 || rename(tmp, path) != 0) {
        err_set(err, errlen, "%s: write failed", path);
        rc = -1;
    }
    free(tmp);
    return rc;
}

/* Copies src/name to dst/name when src/name exists. */
static int copy_opt(const char *src, const char *dst, const char *name, char *err, size_t errlen) {
    char *sp = xasprintf("%s/%s", src, name), *dp = xasprintf("%s/%s", dst, name);
    struct stat sb;
    int rc = 0;
    if (stat(sp, &sb) == 0) {
        size_t n;
        char *data = slurp(sp, &n, err, errlen);
        rc = data ? write_file(dp, data, n, err, errlen) : -1;
        free(data);
    }
    free(sp);
    free(dp);
    return rc;
}

/* dst/config.json = src/config.json with "finsent_ngram" describing m. */
static int save_config(const ngram_model *m, const char *src, const char *dst, char *err, size_t errlen) {
    char *sp = xasprintf("%s/config.json", src), *dp = xasprintf("%s/config.json", dst);
    size_t n;
    char *text = slurp(sp, &n, err, errlen);
    cJSON *root = text ? cJSON_ParseWithLength(text, n) : NULL;
    free(text);
    int rc = -1;
    if (!text) {
    } else if (!cJSON_IsObject(root)) {
        err_set(err, errlen, "%s: not a JSON object", sp);
    } else {
        cJSON_DeleteItemFromObjectCaseSensitive(root, "finsent_ngram");
        cJSON *fn = cJSON_AddObjectToObject(root, "finsent_ngram");
        cJSON_AddNumberToObject(fn, "buckets", m->s.buckets);
        cJSON_AddItemToObject(fn, "orders", cJSON_CreateIntArray(m->s.orders, m->s.n_orders));
        if (m->s.n_char_orders)
            cJSON_AddItemToObject(fn, "char_orders", cJSON_CreateIntArray(m->s.char_orders, m->s.n_char_orders));
        cJSON *hs = cJSON_AddArrayToObject(fn, "heads");
        for (int h = 0; h < m->n_heads; h++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", m->heads[h].name);
            char mix[32];
            snprintf(mix, sizeof mix, "%.4g", m->heads[h].mix);
            cJSON_AddRawToObject(o, "mix", mix);
            cJSON_AddItemToArray(hs, o);
        }
        char *js = cJSON_Print(root);
        size_t len = strlen(js);
        js = xrealloc(js, len + 2);
        js[len++] = '\n';
        rc = write_file(dp, js, len, err, errlen);
        free(js);
    }
    cJSON_Delete(root);
    free(sp);
    free(dp);
    return rc;
}

int ngram_save(const ngram_model *m, const char *src, const char *dst, char *err, size_t errlen) {
    char *sp = xasprintf("%s/model.safetensors", src), *dp = xasprintf("%s/model.safetensors", dst);
    st_file *f = st_open(sp, err, errlen);
    int rc = -1, nt = 0, n = f ? st_count(f) : 0, all_f16 = 1;
    st_write_tensor *wt = xcalloc((size_t)n + 1 + 2 * (size_t)m->n_heads, sizeof *wt);
    float **bufs = xcalloc((size_t)n + 1, sizeof *bufs);
    char (*names)[160] = xcalloc(2 * (size_t)m->n_heads + 1, sizeof *names);
    if (!f) goto out;
    for (int i = 0; i < n; i++) {
        const st_tensor *t = st_at(f, i);
        if (strncmp(t->name, NGRAM_PREFIX, strlen(NGRAM_PREFIX)) == 0) continue;
        bufs[i] = xmalloc(sizeof(float) * (t->numel ? t->numel : 1));
        if (st_to_f32(t, bufs[i])) {
            err_set(err, errlen, "%s: tensor '%s': dtype %s, expected F32, F16 or BF16", sp, t->name,
                    st_dtype_name(t->dtype));
            goto out;
        }
        all_f16 &= t->dtype == ST_F16;
        st_write_tensor *w = &wt[nt++];
        w->name = t->name;
        w->ndim = t->ndim;
        memcpy(w->shape, t->shape, sizeof w->shape);
        w->data = bufs[i];
    }
    wt[nt++] = (st_write_tensor){.name = NGRAM_PREFIX "idf", .ndim = 1, .shape = {m->s.buckets}, .data = m->idf};
    for (int h = 0; h < m->n_heads; h++) {
        const ngram_head *hd = &m->heads[h];
        head_tensor(names[2 * h], sizeof names[0], hd->name, "weight");
        head_tensor(names[2 * h + 1], sizeof names[0], hd->name, "bias");
        wt[nt++] = (st_write_tensor){.name = names[2 * h], .ndim = 2, .shape = {hd->n_labels, m->s.buckets},
                                     .data = hd->w};
        wt[nt++] = (st_write_tensor){.name = names[2 * h + 1], .ndim = 1, .shape = {hd->n_labels}, .data = hd->b};
    }
    if (mkdir(dst, 0755) && errno != EEXIST) {
        err_set(err, errlen, "%s: %s", dst, strerror(errno));
        goto out;
    }
    if (st_write(dp, wt, nt, all_f16 ? ST_F16 : ST_F32, err, errlen)) goto out;
    if (save_config(m, src, dst, err, errlen)) goto out;
    rc = 0;
    if (strcmp(src, dst) != 0) {
        static const char *const extra[] = {"vocab.txt", "tokenizer_config.json", "dev_report.json"};
        for (int i = 0; i < 3 && rc == 0; i++) rc = copy_opt(src, dst, extra[i], err, errlen);
    }
out:
    for (int i = 0; i < n; i++) free(bufs[i]);
    free(bufs);
    free(wt);
    free(names);
    st_close(f);
    free(sp);
    free(dp);
    return rc;
}
