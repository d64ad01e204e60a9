/* safetensors — checked mmap reader and small writer; see safetensors.h. */
#include "classify/safetensors.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/errmsg.h"
#include "util/xalloc.h"

struct st_file {
    char *path;
    void *map;
    size_t map_len;
    st_tensor *t;
    int n;
};

static const struct {
    const char *name;
    st_dtype dtype;
    size_t size;
} dtypes[] = {
    {"F32", ST_F32, 4}, {"F16", ST_F16, 2}, {"BF16", ST_BF16, 2}, {"F64", ST_F64, 8}, {"I64", ST_I64, 8},
    {"I32", ST_I32, 4}, {"I16", ST_I16, 2}, {"I8", ST_I8, 1},     {"U8", ST_U8, 1},   {"BOOL", ST_BOOL, 1},
};
#define N_DTYPES ((int)(sizeof dtypes / sizeof dtypes[0]))

const char *st_dtype_name(st_dtype d) {
    for (int i = 0; i < N_DTYPES; i++)
        if (dtypes[i].dtype == d) return dtypes[i].name;
    return "?";
}

size_t st_dtype_size(st_dtype d) {
    for (int i = 0; i < N_DTYPES; i++)
        if (dtypes[i].dtype == d) return dtypes[i].size;
    return 0;
}

void st_close(st_file *f) {
    if (!f) return;
    for (int i = 0; i < f->n; i++) free(f->t[i].name);
    free(f->t);
    if (f->map) munmap(f->map, f->map_len);
    free(f->path);
    free(f);
}

/* A JSON number that is a non-negative integer below 2^53, or -1. */
static int64_t json_uint(const cJSON *j) {
    if (!cJSON_IsNumber(j)) return -1;
    double d = j->valuedouble;
    if (!(d >= 0 && d < 9007199254740992.0) || d != floor(d)) return -1;
    return (int64_t)d;
}

/* Parses one tensor entry into t; returns 0 or -1 with err set. */
static int parse_entry(const char *path, const cJSON *e, size_t data_len, st_tensor *t, char *err, size_t errlen) {
    const char *name = e->string;
    if (!cJSON_IsObject(e)) {
        err_set(err, errlen, "%s: tensor '%s': header entry is not an object", path, name);
        return -1;
    }
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(e, "shape");
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    if (!cJSON_IsString(dt)) {
        err_set(err, errlen, "%s: tensor '%s': missing dtype", path, name);
        return -1;
    }
    int k = 0;
    while (k < N_DTYPES && strcmp(dtypes[k].name, dt->valuestring) != 0) k++;
    if (k == N_DTYPES) {
        err_set(err, errlen, "%s: tensor '%s': unknown dtype '%.16s'", path, name, dt->valuestring);
        return -1;
    }
    t->dtype = dtypes[k].dtype;
    if (!cJSON_IsArray(sh) || cJSON_GetArraySize(sh) > ST_MAX_DIMS) {
        err_set(err, errlen, "%s: tensor '%s': shape is not an array of at most %d dimensions", path, name,
               ST_MAX_DIMS);
        return -1;
    }
    t->ndim = 0;
    size_t numel = 1;
    const cJSON *d;
    cJSON_ArrayForEach(d, sh) {
        int64_t v = json_uint(d);
        if (v < 0) {
            err_set(err, errlen, "%s: tensor '%s': shape holds a value that is not a non-negative integer", path,
                   name);
            return -1;
        }
        if (v > 0 && numel > (SIZE_MAX / 8) / (size_t)v) {
            err_set(err, errlen, "%s: tensor '%s': shape too large", path, name);
            return -1;
        }
        numel *= (size_t)v;
        t->shape[t->ndim++] = v;
    }
    t->numel = numel;
    t->nbytes = numel * dtypes[k].size;
    if (!cJSON_IsArray(off) || cJSON_GetArraySize(off) != 2) {
        err_set(err, errlen, "%s: tensor '%s': data_offsets is not a pair", path, name);
        return -1;
    }
    int64_t b = json_uint(cJSON_GetArrayItem(off, 0)), en = json_uint(cJSON_GetArrayItem(off, 1));
    if (b < 0 || en < 0 || en < b) {
        err_set(err, errlen, "%s: tensor '%s': bad data_offsets", path, name);
        return -1;
    }
    if ((uint64_t)en > data_len) {
        err_set(err, errlen, "%s: tensor '%s': data_offsets [%lld, %lld) beyond the data (%zu bytes; file truncated?)",
               path, name, (long long)b, (long long)en, data_len);
        return -1;
    }
    if ((uint64_t)(en - b) != t->nbytes) {
        err_set(err, errlen, "%s: tensor '%s': data_offsets span %lld bytes but shape and dtype need %zu", path, name,
               (long long)(en - b), t->nbytes);
        return -1;
    }
    t->data = (const void *)(intptr_t)b; /* an offset until the data base is known */
    return 0;
}

static int cmp_by_offset(const void *a, const void *b) {
    const st_tensor *x = *(const st_tensor *const *)a, *y = *(const st_tensor *const *)b;
    uintptr_t u = (uintptr_t)x->data, v = (uintptr_t)y->data;
    return u < v ? -1 : u > v;
}

st_file *st_open(const char *path, char *err, size_t errlen) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        err_set(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        err_set(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    size_t size = (size_t)sb.st_size;
    if (size < 8) {
        err_set(err, errlen, "%s: file too short (%zu bytes) for a safetensors header", path, size);
        close(fd);
        return NULL;
    }
    void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        err_set(err, errlen, "%s: mmap: %s", path, strerror(errno));
        return NULL;
    }
    st_file *f = xcalloc(1, sizeof *f);
    f->path = xstrdup(path);
    f->map = map;
    f->map_len = size;

    const unsigned char *p = map;
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | p[i];
    if (hlen > size - 8) {
        err_set(err, errlen, "%s: header length %llu beyond the file size %zu", path, (unsigned long long)hlen, size);
        st_close(f);
        return NULL;
    }
    cJSON *root = cJSON_ParseWithLength((const char *)p + 8, (size_t)hlen);
    if (!cJSON_IsObject(root)) {
        err_set(err, errlen, "%s: header is not a JSON object", path);
        cJSON_Delete(root);
        st_close(f);
        return NULL;
    }
    size_t data_len = size - 8 - (size_t)hlen;
    const unsigned char *base = p + 8 + hlen;
    int cap = cJSON_GetArraySize(root);
    f->t = xcalloc((size_t)(cap ? cap : 1), sizeof *f->t);
    const cJSON *e;
    cJSON_ArrayForEach(e, root) {
        if (strcmp(e->string, "__metadata__") == 0) continue;
        st_tensor *t = &f->t[f->n];
        if (parse_entry(path, e, data_len, t, err, errlen) != 0) {
            cJSON_Delete(root);
            st_close(f);
            return NULL;
        }
        t->name = xstrdup(e->string);
        f->n++;
    }
    cJSON_Delete(root);

    /* Overlap check on offsets (still stored in data), then rebase. In
     * offset order each non-empty tensor must start at or after the
     * furthest end seen so far: comparing with the previous tensor only
     * would let an empty one between two overlapping tensors hide them. */
    st_tensor **order = xmalloc(sizeof *order * (size_t)(f->n ? f->n : 1));
    for (int i = 0; i < f->n; i++) order[i] = &f->t[i];
    qsort(order, (size_t)f->n, sizeof *order, cmp_by_offset);
    const st_tensor *furthest = NULL; /* the non-empty tensor that ends last */
    for (int i = 0; i < f->n; i++) {
        const st_tensor *t = order[i];
        if (!t->nbytes) continue;
        uintptr_t start = (uintptr_t)t->data;
        if (furthest && start < (uintptr_t)furthest->data + furthest->nbytes) {
            err_set(err, errlen, "%s: tensor '%s': data overlaps tensor '%s'", path, t->name, furthest->name);
            free(order);
            st_close(f);
            return NULL;
        }
        if (!furthest || start + t->nbytes > (uintptr_t)furthest->data + furthest->nbytes) furthest = t;
    }
    free(order);
    for (int i = 0; i < f->n; i++) f->t[i].data = base + (uintptr_t)f->t[i].data;
    return f;
}

const char *st_path(const st_file *f) { return f->path; }
int st_count(const st_file *f) { return f->n; }
const st_tensor *st_at(const st_file *f, int i) { return &f->t[i]; }

const st_tensor *st_find(const st_file *f, const char *name) {
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->t[i].name, name) == 0) return &f->t[i];
    return NULL;
}

/* The older names: one LayerNorm leaf per row, and the optional prefix. */
static const struct {
    const char *now, *old;
} legacy_leaf[] = {{"LayerNorm.weight", "LayerNorm.gamma"}, {"LayerNorm.bias", "LayerNorm.beta"}};
#define OPTIONAL_PREFIX "bert."

const st_tensor *st_find_alias(const st_file *f, const char *name) {
    char alt[4][160];
    int n = 0;
    snprintf(alt[n++], sizeof alt[0], "%s", name);
    size_t len = strlen(name);
    for (size_t i = 0; i < sizeof legacy_leaf / sizeof legacy_leaf[0]; i++) {
        size_t k = strlen(legacy_leaf[i].now);
        if (len >= k && strcmp(name + len - k, legacy_leaf[i].now) == 0)
            snprintf(alt[n++], sizeof alt[0], "%.*s%s", (int)(len - k), name, legacy_leaf[i].old);
    }
    int spelled = n;
    for (int i = 0; i < spelled; i++)
        if (strncmp(alt[i], OPTIONAL_PREFIX, strlen(OPTIONAL_PREFIX)) == 0)
            snprintf(alt[n++], sizeof alt[0], "%s", alt[i] + strlen(OPTIONAL_PREFIX));
    for (int i = 0; i < n; i++) {
        const st_tensor *t = st_find(f, alt[i]);
        if (t) return t;
    }
    return NULL;
}

static void shape_str(char *buf, size_t n, int ndim, const int64_t *shape) {
    size_t o = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < ndim && o < n; i++) o += (size_t)snprintf(buf + o, n - o, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (o < n) snprintf(buf + o, n - o, "]");
}

int st_read_f32(const st_file *f, const char *name, int ndim, const int64_t *shape, float *out, char *err,
                size_t errlen) {
    const st_tensor *t = st_find_alias(f, name);
    if (!t) return 1;
    int same = t->ndim == ndim;
    for (int i = 0; same && i < ndim; i++) same = t->shape[i] == shape[i];
    if (!same) {
        char got[96], want[96];
        shape_str(got, sizeof got, t->ndim, t->shape);
        shape_str(want, sizeof want, ndim, shape);
        return err_set(err, errlen, "%s: tensor '%s': shape %s, expected %s", f->path, t->name, got, want);
    }
    if (st_to_f32(t, out) != 0)
        return err_set(err, errlen, "%s: tensor '%s': dtype %s, expected F32, F16 or BF16", f->path, t->name,
                       st_dtype_name(t->dtype));
    return 0;
}

float st_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: normalise */
            exp = 127 - 15 + 1;
            while (!(man & 0x400)) {
                man <<= 1;
                exp--;
            }
            bits = sign | (exp << 23) | ((man & 0x3ff) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp - 15 + 127) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

float st_bf16_to_f32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t st_f32_to_bf16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40); /* quiet NaN */
    x += 0x7fff + ((x >> 16) & 1);
    return (uint16_t)(x >> 16);
}

uint16_t st_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return sign | 0x7e00;
    if (ax >= 0x477ff000u) return sign | 0x7c00; /* rounds to >= 65520: inf */
    if (ax < 0x38800000u) {                     /* below 2^-14: subnormal or zero */
        float a;
        memcpy(&a, &ax, 4);
        return sign | (uint16_t)lrintf(a * 16777216.0f); /* units of 2^-24, nearest even */
    }
    uint32_t r = ax + 0xfff + ((ax >> 13) & 1) - ((uint32_t)(127 - 15) << 23);
    return sign | (uint16_t)(r >> 13);
}

int st_to_f32(const st_tensor *t, float *out) {
    const unsigned char *p = t->data;
    switch (t->dtype) {
    case ST_F32: memcpy(out, p, t->numel * 4); return 0;
    case ST_F16:
    case ST_BF16:
        for (size_t i = 0; i < t->numel; i++) {
            uint16_t h = (uint16_t)(p[2 * i] | (p[2 * i + 1] << 8));
            out[i] = t->dtype == ST_F16 ? st_f16_to_f32(h) : st_bf16_to_f32(h);
        }
        return 0;
    default: return -1;
    }
}

int st_write(const char *path, const st_write_tensor *t, int n, st_dtype dtype, char *err, size_t errlen) {
    if (dtype != ST_F32 && dtype != ST_F16 && dtype != ST_BF16) {
        err_set(err, errlen, "%s: cannot write dtype %s", path, st_dtype_name(dtype));
        return -1;
    }
    size_t es = st_dtype_size(dtype), off = 0;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(cJSON_AddObjectToObject(root, "__metadata__"), "format", "pt");
    for (int i = 0; i < n; i++) {
        size_t numel = 1;
        cJSON *e = cJSON_CreateObject(), *sh = cJSON_CreateArray(), *of = cJSON_CreateArray();
        for (int d = 0; d < t[i].ndim; d++) {
            numel *= (size_t)t[i].shape[d];
            cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)t[i].shape[d]));
        }
        cJSON_AddStringToObject(e, "dtype", st_dtype_name(dtype));
        cJSON_AddItemToObject(e, "shape", sh);
        cJSON_AddItemToArray(of, cJSON_CreateNumber((double)off));
        cJSON_AddItemToArray(of, cJSON_CreateNumber((double)(off + numel * es)));
        cJSON_AddItemToObject(e, "data_offsets", of);
        cJSON_AddItemToObject(root, t[i].name, e);
        off += numel * es;
    }
    char *hdr = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!hdr) {
        err_set(err, errlen, "%s: out of memory printing the header", path);
        return -1;
    }
    size_t hlen = strlen(hdr), padded = (hlen + 7) & ~(size_t)7;
    char *tmp = xasprintf("%s.tmp", path);
    FILE *fp = fopen(tmp, "wb");
    int rc = -1;
    if (!fp) {
        err_set(err, errlen, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    int ok = fwrite(len8, 1, 8, fp) == 8 && fwrite(hdr, 1, hlen, fp) == hlen;
    for (size_t i = hlen; ok && i < padded; i++) ok = fputc(' ', fp) != EOF;
    for (int i = 0; ok && i < n; i++) {
        size_t numel = 1;
        for (int d = 0; d < t[i].ndim; d++) numel *= (size_t)t[i].shape[d];
        for (size_t j = 0; ok && j < numel; j++) {
            unsigned char b[4];
            if (dtype == ST_F32) {
                memcpy(b, &t[i].data[j], 4);
            } else {
                uint16_t h = dtype == ST_F16 ? st_f32_to_f16(t[i].data[j]) : st_f32_to_bf16(t[i].data[j]);
                b[0] = (unsigned char)h;
                b[1] = (unsigned char)(h >> 8);
            }
            ok = fwrite(b, 1, es, fp) == es;
        }
    }
    if (fclose(fp) != 0) ok = 0;
    if (!ok) {
        err_set(err, errlen, "%s: write failed: %s", tmp, strerror(errno));
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        err_set(err, errlen, "%s: rename: %s", path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    rc = 0;
out:
    free(tmp);
    free(hdr);
    return rc;
}
