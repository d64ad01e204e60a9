/* codec — a growable little-endian binary writer and a bounds-checked
 * reader: the one encoding of finsent's checkpoint files (app/checkpoint.h).
 *
 * Fixed widths, little-endian, doubles as their IEEE-754 bits (so a value
 * read back is bit-for-bit the one written), strings as a u32 length and
 * the bytes (length 0xFFFFFFFF: NULL). The reader never reads past its
 * buffer: the first failure (truncated input, a count that cannot fit, a
 * string too long for its destination) is kept in r->err, every later read
 * returns 0 / NULL, and the caller checks cr_ok once at the end of a
 * section. Nothing here allocates on behalf of a failed read. */
#ifndef FINSENT_CODEC_H
#define FINSENT_CODEC_H

#include <stddef.h>
#include <stdint.h>

typedef struct cw {
    unsigned char *buf;
    size_t len, cap;
} cw;

/* An empty writer; can't fail. cw_free releases its buffer. */
void cw_init(cw *w);
void cw_free(cw *w);

void cw_u8(cw *w, uint8_t v);
void cw_u32(cw *w, uint32_t v);
void cw_u64(cw *w, uint64_t v);
void cw_i64(cw *w, int64_t v);
void cw_f64(cw *w, double v);
void cw_f32(cw *w, float v);
void cw_bytes(cw *w, const void *p, size_t n);
/* A string (NULL allowed). */
void cw_str(cw *w, const char *s);
/* Overwrites the u32 at byte offset at (a length written before its data). */
void cw_patch_u32(cw *w, size_t at, uint32_t v);

typedef struct cr {
    const unsigned char *p;
    size_t len, pos;
    const char *err; /* the first failure, static; NULL while all is well */
} cr;

/* A reader over p[0..len) (borrowed). */
void cr_init(cr *r, const void *p, size_t len);
/* 1 while no read failed. */
int cr_ok(const cr *r);
/* Records msg (static) as the failure unless one is recorded already;
 * returns -1. */
int cr_fail(cr *r, const char *msg);
/* Bytes not read yet. */
size_t cr_left(const cr *r);

uint8_t cr_u8(cr *r);
uint32_t cr_u32(cr *r);
uint64_t cr_u64(cr *r);
int64_t cr_i64(cr *r);
double cr_f64(cr *r);
float cr_f32(cr *r);
/* Copies n bytes into dst; zeroes dst on failure. */
void cr_bytes(cr *r, void *dst, size_t n);
/* A string as a fresh heap copy (caller frees), or NULL when it was
 * written as NULL or on failure (check cr_ok). Longer than max: failure. */
char *cr_str(cr *r, size_t max);
/* A string into dst (cap bytes, NUL-terminated); NULL reads as "". A
 * string that does not fit is a failure. Returns 0 or -1. */
int cr_strbuf(cr *r, char *dst, size_t cap);
/* A u32 count of items of at least min_bytes each: a failure when it is
 * above max or when that many items cannot fit in what is left (so that a
 * corrupt count never drives a huge allocation). Returns it, 0 on failure. */
uint32_t cr_count(cr *r, uint32_t max, size_t min_bytes);

#endif
