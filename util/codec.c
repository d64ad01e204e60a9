/* codec — little-endian binary writer and bounds-checked reader; see codec.h. */
#include "util/codec.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

#define STR_NULL 0xFFFFFFFFu

void cw_init(cw *w) { memset(w, 0, sizeof *w); }

void cw_free(cw *w) {
    free(w->buf);
    memset(w, 0, sizeof *w);
}

static unsigned char *cw_grow(cw *w, size_t n) {
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->len + n) cap *= 2;
        w->buf = xrealloc(w->buf, cap);
        w->cap = cap;
    }
    unsigned char *p = w->buf + w->len;
    w->len += n;
    return p;
}

static void put_le(unsigned char *p, uint64_t v, int n) {
    for (int i = 0; i < n; i++) p[i] = (unsigned char)(v >> (8 * i));
}

void cw_u8(cw *w, uint8_t v) { *cw_grow(w, 1) = v; }
void cw_u32(cw *w, uint32_t v) { put_le(cw_grow(w, 4), v, 4); }
void cw_u64(cw *w, uint64_t v) { put_le(cw_grow(w, 8), v, 8); }
void cw_i64(cw *w, int64_t v) { cw_u64(w, (uint64_t)v); }

void cw_f64(cw *w, double v) {
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    cw_u64(w, bits);
}

void cw_f32(cw *w, float v) {
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    cw_u32(w, bits);
}

void cw_bytes(cw *w, const void *p, size_t n) {
    if (n) memcpy(cw_grow(w, n), p, n);
}

void cw_str(cw *w, const char *s) {
    if (!s) {
        cw_u32(w, STR_NULL);
        return;
    }
    size_t n = strlen(s);
    cw_u32(w, (uint32_t)n);
    cw_bytes(w, s, n);
}

void cw_patch_u32(cw *w, size_t at, uint32_t v) {
    if (at + 4 <= w->len) put_le(w->buf + at, v, 4);
}

void cr_init(cr *r, const void *p, size_t len) {
    r->p = p;
    r->len = len;
    r->pos = 0;
    r->err = NULL;
}

int cr_ok(const cr *r) { return r->err == NULL; }

int cr_fail(cr *r, const char *msg) {
    if (!r->err) r->err = msg;
    return -1;
}

size_t cr_left(const cr *r) { return r->len - r->pos; }

/* The next n bytes, or NULL (and the failure recorded) when fewer are left. */
static const unsigned char *take(cr *r, size_t n) {
    if (r->err) return NULL;
    if (n > r->len - r->pos) {
        cr_fail(r, "truncated");
        return NULL;
    }
    const unsigned char *p = r->p + r->pos;
    r->pos += n;
    return p;
}

static uint64_t get_le(const unsigned char *p, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

uint8_t cr_u8(cr *r) {
    const unsigned char *p = take(r, 1);
    return p ? p[0] : 0;
}

uint32_t cr_u32(cr *r) {
    const unsigned char *p = take(r, 4);
    return p ? (uint32_t)get_le(p, 4) : 0;
}

uint64_t cr_u64(cr *r) {
    const unsigned char *p = take(r, 8);
    return p ? get_le(p, 8) : 0;
}

int64_t cr_i64(cr *r) { return (int64_t)cr_u64(r); }

double cr_f64(cr *r) {
    uint64_t bits = cr_u64(r);
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

float cr_f32(cr *r) {
    uint32_t bits = cr_u32(r);
    float v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

void cr_bytes(cr *r, void *dst, size_t n) {
    const unsigned char *p = take(r, n);
    if (p) memcpy(dst, p, n);
    else memset(dst, 0, n);
}

char *cr_str(cr *r, size_t max) {
    uint32_t n = cr_u32(r);
    if (!cr_ok(r) || n == STR_NULL) return NULL;
    if (n > max) {
        cr_fail(r, "string too long");
        return NULL;
    }
    const unsigned char *p = take(r, n);
    return p ? xstrndup((const char *)p, n) : NULL;
}

int cr_strbuf(cr *r, char *dst, size_t cap) {
    dst[0] = 0;
    uint32_t n = cr_u32(r);
    if (!cr_ok(r)) return -1;
    if (n == STR_NULL) return 0;
    if (n >= cap) return cr_fail(r, "string too long");
    const unsigned char *p = take(r, n);
    if (!p) return -1;
    memcpy(dst, p, n);
    dst[n] = 0;
    return 0;
}

uint32_t cr_count(cr *r, uint32_t max, size_t min_bytes) {
    uint32_t n = cr_u32(r);
    if (!cr_ok(r)) return 0;
    if (n > max || (min_bytes && (uint64_t)n > cr_left(r) / min_bytes)) {
        cr_fail(r, "count out of range");
        return 0;
    }
    return n;
}
