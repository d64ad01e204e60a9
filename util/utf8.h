/* utf8 — UTF-8 helpers on utf8proc: decoding one sequence, validating a
 * string, and cutting one at a code-point boundary (with "…" if wanted).
 *
 * "Well-formed" is Unicode's (and utf8proc_iterate's): shortest form, no
 * surrogates, nothing above U+10FFFF. */
#ifndef FINSENT_UTF8_H
#define FINSENT_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* "…" (U+2026) in UTF-8, 3 bytes. */
#define UTF8_ELLIPSIS "\xE2\x80\xA6"

/* Length (1-4) of the well-formed sequence at s (n >= 1 bytes left), its
 * code point in *cp; 0 when s[0] starts none (a stray continuation byte,
 * an overlong form, a surrogate, beyond U+10FFFF, or cut short by n). */
size_t utf8_next(const char *s, size_t n, int32_t *cp);

/* 1 when s[0..n) is well-formed UTF-8, else 0. ASCII runs are checked a
 * word at a time. */
int utf8_valid(const char *s, size_t n);

/* Where to cut s[0..len) to keep at most max bytes without splitting a
 * code point: len when len <= max, else the largest k <= max at which no
 * well-formed sequence of s straddles. A byte that starts no sequence is
 * a unit of its own, so invalid input is cut at max. */
size_t utf8_cut(const char *s, size_t len, size_t max);

/* Copies src[0..len) into dst, NUL-terminated: all of it when len <= max,
 * else its first utf8_cut(src, len, max) bytes, then UTF8_ELLIPSIS when
 * ellipsis is non-zero. dst holds max + 1 bytes (max + 4 with ellipsis).
 * Returns the bytes written before the NUL. src may be NULL when len is 0. */
size_t utf8_truncate(char *dst, const char *src, size_t len, size_t max, int ellipsis);

#endif
