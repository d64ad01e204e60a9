/* relabel_model — a 4-label sentiment head from a real model; see relabel_model.h. */
#include "tests/support/relabel_model.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/safetensors.h"
#include "util/errmsg.h"
#include "util/xalloc.h"

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0, got;
    do {
        cap = cap ? cap * 2 : 65536;
        buf = xrealloc(buf, cap + 1);
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (n == cap);
    fclose(f);
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

static int copy_file(const char *src, const char *dst, const char *name) {
    char *a = xasprintf("%s/%s", src, name), *b = xasprintf("%s/%s", dst, name);
    size_t n = 0;
    char *data = slurp(a, &n);
    FILE *f = data ? fopen(b, "wb") : NULL;
    int rc = f && fwrite(data, 1, n, f) == n ? 0 : -1;
    if (f && fclose(f) != 0) rc = -1;
    free(data);
    free(a);
    free(b);
    return rc;
}

/* A sentiment head tensor ("….sentiment.weight" or "….sentiment.bias"). */
static int is_sentiment(const char *name) {
    return strcmp(name, "classifier.sentiment.weight") == 0 || strcmp(name, "classifier.sentiment.bias") == 0 ||
           strcmp(name, "finsent.ngram.sentiment.weight") == 0 || strcmp(name, "finsent.ngram.sentiment.bias") == 0;
}

static int write_config(const char *src, const char *dst, const char *const labels[4], char *err, size_t errlen) {
    char *path = xasprintf("%s/config.json", src);
    char *text = slurp(path, NULL);
    free(path);
    cJSON *root = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!root) return err_set(err, errlen, "%s/config.json: cannot read", src);
    cJSON *heads = cJSON_GetObjectItem(root, "finsent_heads"), *h;
    int done = 0;
    cJSON_ArrayForEach(h, heads) {
        const cJSON *name = cJSON_GetObjectItem(h, "name");
        if (!cJSON_IsString(name) || strcmp(name->valuestring, "sentiment") != 0) continue;
        cJSON *map = cJSON_CreateObject();
        for (int i = 0; i < 4; i++) {
            char k[8];
            snprintf(k, sizeof k, "%d", i);
            cJSON_AddStringToObject(map, k, labels[i]);
        }
        cJSON_ReplaceItemInObject(h, "id2label", map);
        done = 1;
    }
    char *out = cJSON_Print(root);
    cJSON_Delete(root);
    path = xasprintf("%s/config.json", dst);
    FILE *f = done ? fopen(path, "w") : NULL;
    int rc = f && fputs(out, f) >= 0 ? 0 : -1;
    if (f && fclose(f) != 0) rc = -1;
    free(path);
    cJSON_free(out);
    return rc < 0 ? err_set(err, errlen, "%s: no sentiment head in finsent_heads, or cannot write", dst) : 0;
}

int relabel_model(const char *src, const char *dst, const char *const labels[4], float extra_bias, char *err,
                  size_t errlen) {
    char *path = xasprintf("%s/model.safetensors", src);
    st_file *f = st_open(path, err, errlen);
    free(path);
    if (!f) return -1;
    int n = st_count(f), rc = 0;
    st_write_tensor *w = xcalloc((size_t)n, sizeof *w);
    float **bufs = xcalloc((size_t)n, sizeof *bufs);
    for (int i = 0; i < n && rc == 0; i++) {
        const st_tensor *t = st_at(f, i);
        int grow = is_sentiment(t->name);
        if (grow && t->shape[0] != 3) rc = err_set(err, errlen, "%s: expected 3 sentiment labels", t->name);
        size_t row = grow ? t->numel / 3 : 0;
        bufs[i] = xmalloc(sizeof(float) * (t->numel + row));
        if (rc == 0 && st_to_f32(t, bufs[i]) < 0) rc = err_set(err, errlen, "%s: not a float tensor", t->name);
        w[i] = (st_write_tensor){.name = t->name, .ndim = t->ndim, .data = bufs[i]};
        memcpy(w[i].shape, t->shape, sizeof t->shape);
        if (!grow || rc) continue;
        memcpy(bufs[i] + 3 * row, bufs[i] + 2 * row, sizeof(float) * row); /* the copied last row */
        if (strcmp(t->name, "classifier.sentiment.bias") == 0) bufs[i][3] += extra_bias;
        w[i].shape[0] = 4;
    }
    path = xasprintf("%s/model.safetensors", dst);
    if (rc == 0) rc = st_write(path, w, n, ST_F16, err, errlen);
    free(path);
    for (int i = 0; i < n; i++) free(bufs[i]);
    free(bufs);
    free(w);
    st_close(f);
    if (rc == 0) rc = write_config(src, dst, labels, err, errlen);
    if (rc == 0 && (copy_file(src, dst, "vocab.txt") < 0 || copy_file(src, dst, "tokenizer_config.json") < 0))
        rc = err_set(err, errlen, "%s: cannot copy the vocabulary", dst);
    return rc;
}
