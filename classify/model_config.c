/* model_config — config.json parsing; see model_config.h. */
#include "classify/model_config.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/errmsg.h"
#include "util/xalloc.h"

#define MCFG_MAX_FILE (16u << 20)
#define MCFG_MAX_LABELS 4096

void mcfg_free(model_config *cfg) {
    for (int h = 0; h < cfg->n_heads; h++) {
        for (int i = 0; i < cfg->heads[h].n_labels; i++) free(cfg->heads[h].labels[i]);
        free(cfg->heads[h].labels);
        free(cfg->heads[h].name);
    }
    free(cfg->heads);
    memset(cfg, 0, sizeof *cfg);
}

void mcfg_default_labels(mcfg_head *h, int n) {
    for (int i = 0; i < h->n_labels; i++) free(h->labels[i]);
    free(h->labels);
    h->n_labels = n;
    h->labels = xcalloc((size_t)(n ? n : 1), sizeof *h->labels);
    for (int i = 0; i < n; i++) h->labels[i] = xasprintf("LABEL_%d", i);
}

void mcfg_init_shape(model_config *cfg, int hidden, int layers, int heads, int intermediate, int vocab) {
    memset(cfg, 0, sizeof *cfg);
    cfg->hidden_size = hidden;
    cfg->num_layers = layers;
    cfg->num_heads = heads;
    cfg->intermediate_size = intermediate;
    cfg->vocab_size = vocab;
    cfg->max_position = 512;
    cfg->type_vocab_size = 2;
    cfg->layer_norm_eps = 1e-12f;
    cfg->n_heads = 1;
    cfg->heads = xcalloc(1, sizeof *cfg->heads);
    cfg->heads[0].name = xstrdup("sentiment");
    mcfg_default_labels(&cfg->heads[0], 2);
}

/* Reads an optional positive integer key (default when absent). */
static int get_int(const char *path, const cJSON *root, const char *key, int def, int *out, char *err,
                   size_t errlen) {
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!j) {
        *out = def;
        return 0;
    }
    if (!cJSON_IsNumber(j) || j->valuedouble < 1 || j->valuedouble > 1e8 || j->valuedouble != floor(j->valuedouble)) {
        err_set(err, errlen, "%s: \"%s\": expected a positive integer", path, key);
        return -1;
    }
    *out = (int)j->valuedouble;
    return 0;
}

/* Parses an id2label object {"0": "a", "1": "b"} into h; ids must be 0..n-1. */
static int parse_id2label(const char *path, const char *where, const cJSON *j, mcfg_head *h, char *err,
                          size_t errlen) {
    if (!cJSON_IsObject(j)) {
        err_set(err, errlen, "%s: %s: expected an object {\"0\": \"label\", ...}", path, where);
        return -1;
    }
    int n = cJSON_GetArraySize(j);
    if (n < 1 || n > MCFG_MAX_LABELS) {
        err_set(err, errlen, "%s: %s: expected 1 to %d labels, got %d", path, where, MCFG_MAX_LABELS, n);
        return -1;
    }
    h->labels = xcalloc((size_t)n, sizeof *h->labels);
    h->n_labels = n;
    const cJSON *e;
    cJSON_ArrayForEach(e, j) {
        char *end;
        errno = 0;
        long id = strtol(e->string, &end, 10);
        if (errno || *end || end == e->string || id < 0 || id >= n || !cJSON_IsString(e)) {
            err_set(err, errlen, "%s: %s: key \"%s\" is not a label id in 0..%d with a string label", path, where,
                   e->string, n - 1);
            return -1;
        }
        if (h->labels[id]) {
            err_set(err, errlen, "%s: %s: label id %ld given twice", path, where, id);
            return -1;
        }
        h->labels[id] = xstrdup(e->valuestring);
    }
    return 0;
}

static int parse_config(const char *path, const cJSON *root, const char *head_name, model_config *cfg, char *err,
                        size_t errlen) {
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(root, "model_type");
    if (mt && (!cJSON_IsString(mt) || strcmp(mt->valuestring, "bert") != 0)) {
        err_set(err, errlen, "%s: \"model_type\": expected \"bert\"", path);
        return -1;
    }
    /* Defaults are Hugging Face BertConfig's. */
    if (get_int(path, root, "hidden_size", 768, &cfg->hidden_size, err, errlen) ||
        get_int(path, root, "num_hidden_layers", 12, &cfg->num_layers, err, errlen) ||
        get_int(path, root, "num_attention_heads", 12, &cfg->num_heads, err, errlen) ||
        get_int(path, root, "intermediate_size", 3072, &cfg->intermediate_size, err, errlen) ||
        get_int(path, root, "max_position_embeddings", 512, &cfg->max_position, err, errlen) ||
        get_int(path, root, "type_vocab_size", 2, &cfg->type_vocab_size, err, errlen) ||
        get_int(path, root, "vocab_size", 30522, &cfg->vocab_size, err, errlen))
        return -1;
    if (cfg->hidden_size % cfg->num_heads != 0) {
        err_set(err, errlen, "%s: \"hidden_size\" %d is not a multiple of \"num_attention_heads\" %d", path,
               cfg->hidden_size, cfg->num_heads);
        return -1;
    }
    const cJSON *eps = cJSON_GetObjectItemCaseSensitive(root, "layer_norm_eps");
    cfg->layer_norm_eps = 1e-12f;
    if (eps) {
        /* the encoder uses it as a float: one below FLT_MIN would be 0 (or
         * a denormal), and a constant row would divide by zero */
        if (!cJSON_IsNumber(eps) || !(eps->valuedouble >= FLT_MIN && eps->valuedouble < 1)) {
            err_set(err, errlen, "%s: \"layer_norm_eps\": expected a number in [%g, 1)", path, (double)FLT_MIN);
            return -1;
        }
        cfg->layer_norm_eps = (float)eps->valuedouble;
    }
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(root, "hidden_act");
    if (act && (!cJSON_IsString(act) || strcmp(act->valuestring, "gelu") != 0)) {
        err_set(err, errlen, "%s: \"hidden_act\": only \"gelu\" (exact erf) is supported, got %s%.32s%s", path,
               cJSON_IsString(act) ? "\"" : "", cJSON_IsString(act) ? act->valuestring : "a non-string",
               cJSON_IsString(act) ? "\"" : "");
        return -1;
    }
    const cJSON *pe = cJSON_GetObjectItemCaseSensitive(root, "position_embedding_type");
    if (pe && (!cJSON_IsString(pe) || strcmp(pe->valuestring, "absolute") != 0)) {
        err_set(err, errlen, "%s: \"position_embedding_type\": only \"absolute\" is supported", path);
        return -1;
    }

    const cJSON *fh = cJSON_GetObjectItemCaseSensitive(root, "finsent_heads");
    if (fh) {
        int n = cJSON_GetArraySize(fh);
        if (!cJSON_IsArray(fh) || n < 1 || n > 16) {
            err_set(err, errlen, "%s: \"finsent_heads\": expected an array of 1 to 16 heads", path);
            return -1;
        }
        cfg->multi_head = 1;
        cfg->heads = xcalloc((size_t)n, sizeof *cfg->heads);
        for (int i = 0; i < n; i++) {
            const cJSON *h = cJSON_GetArrayItem(fh, i);
            const cJSON *nm = cJSON_GetObjectItemCaseSensitive(h, "name");
            char where[64];
            snprintf(where, sizeof where, "\"finsent_heads\"[%d]", i);
            if (!cJSON_IsString(nm) || !nm->valuestring[0] || strlen(nm->valuestring) > 64 ||
                strpbrk(nm->valuestring, ". \"\\/")) {
                err_set(err, errlen, "%s: %s.name: expected a short name without dots, spaces or quotes", path,
                       where);
                return -1;
            }
            for (int k = 0; k < i; k++)
                if (strcmp(cfg->heads[k].name, nm->valuestring) == 0) {
                    err_set(err, errlen, "%s: %s.name: head \"%s\" given twice", path, where, nm->valuestring);
                    return -1;
                }
            cfg->heads[i].name = xstrdup(nm->valuestring);
            cfg->n_heads = i + 1;
            snprintf(where, sizeof where, "\"finsent_heads\"[%d].id2label", i);
            if (parse_id2label(path, where, cJSON_GetObjectItemCaseSensitive(h, "id2label"), &cfg->heads[i], err,
                               errlen))
                return -1;
        }
        return 0;
    }
    cfg->heads = xcalloc(1, sizeof *cfg->heads);
    cfg->n_heads = 1;
    cfg->heads[0].name = xstrdup(head_name ? head_name : "sentiment");
    const cJSON *il = cJSON_GetObjectItemCaseSensitive(root, "id2label");
    if (il) return parse_id2label(path, "\"id2label\"", il, &cfg->heads[0], err, errlen);
    return 0;
}

int mcfg_load(const char *path, const char *head_name, model_config *cfg, char *err, size_t errlen) {
    memset(cfg, 0, sizeof *cfg);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        err_set(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *buf = xmalloc(MCFG_MAX_FILE + 1);
    size_t n = fread(buf, 1, MCFG_MAX_FILE + 1, fp);
    int rd_err = ferror(fp);
    fclose(fp);
    if (rd_err || n > MCFG_MAX_FILE) {
        err_set(err, errlen, "%s: %s", path, rd_err ? "read error" : "larger than 16 MiB");
        free(buf);
        return -1;
    }
    cJSON *root = cJSON_ParseWithLength(buf, n);
    free(buf);
    if (!cJSON_IsObject(root)) {
        err_set(err, errlen, "%s: not a JSON object", path);
        cJSON_Delete(root);
        return -1;
    }
    int rc = parse_config(path, root, head_name, cfg, err, errlen);
    cJSON_Delete(root);
    if (rc) mcfg_free(cfg);
    return rc;
}
