/* entity_match — finds watch-list names in text of any script: a
 * multi-pattern matcher (Aho-Corasick over the bytes of normalised UTF-8)
 * with word boundaries only where the script writes spaces between words.
 *
 * Normalisation (em_normalize) is NFKC with Unicode case folding and the
 * default-ignorable characters removed (zero-width space, soft hyphen),
 * so full-width "Ｔｅｎｃｅｎｔ" and "６００５１９" are "tencent" and
 * "600519", and "贵州\u200b茅台" is "贵州茅台". Names and texts are
 * normalised the same way.
 *
 * Boundaries: a name matches at [s, e) of the normalised text unless the
 * character before s and the name's first character are both "spaced word
 * characters", or the name's last character and the character at e are:
 * letters, marks, digits and '_' of every script except those written
 * without spaces between words (Han, Hiragana, Katakana, Hangul, Thai,
 * Lao, Khmer, Myanmar, Tibetan, Bopomofo, Yi). So "Apple" does not match
 * in "Pineapple", nor "600519" in "1600519", while "贵州茅台" matches in
 * "贵州茅台股价暴跌" and "Tencent" in "买入Tencent股票".
 *
 * Cost: one pass over the text's bytes whatever the number of names (a
 * dense transition table at the root, sorted edges below it). */
#ifndef FINSENT_ENTITY_MATCH_H
#define FINSENT_ENTITY_MATCH_H

#include <stddef.h>
#include <stdint.h>

/* ---- normalisation ---- */

#define EM_NORM_STACK 2048 /* code points held without a heap allocation */

/* A normalised text: s[0..n) (NUL-terminated), pointing into the buffer of
 * this struct or its heap part. Zero-initialise; em_norm_free frees. */
typedef struct em_norm {
    char *s;
    size_t n;
    int32_t *heap;
    size_t heap_cap;
    int32_t stack[EM_NORM_STACK];
} em_norm;

/* Normalises the UTF-8 text s[0..n) into b (see the header comment).
 * Returns 0, or -1 when s is not valid UTF-8 (b->s is then "" ). Reuses b's
 * heap part between calls. */
int em_normalize(em_norm *b, const char *s, size_t n);

void em_norm_free(em_norm *b);

/* 1 when every byte of s[0..n) is ASCII: normalising such a text only
 * lower-cases it, which em_scan does on the fly. */
int em_is_ascii(const char *s, size_t n);

/* 1 when code point c is a spaced word character (see the header). */
int em_spaced_word_cp(int32_t c);

/* ---- the matcher ---- */

typedef struct em_matcher em_matcher;

/* An empty matcher. Never NULL. */
em_matcher *em_new(void);
void em_free(em_matcher *m);

/* Adds name (UTF-8) standing for id (any int the caller chooses; several
 * names may share one, and one name may be added for several ids).
 * Returns 0, or -1 when the name is not valid UTF-8 or normalises to
 * nothing. Not after em_build. */
int em_add(em_matcher *m, const char *name, int id);

/* Computes the failure links; call once after the last em_add. */
void em_build(em_matcher *m);

/* Names added (those em_add accepted). */
int em_count(const em_matcher *m);

/* Called for each match with the name's id; a non-zero return stops the
 * scan and is returned by em_scan. */
typedef int (*em_hit_fn)(int id, void *arg);

/* Scans s[0..n), where s[n] is '\0' and no byte before it is: a
 * normalised text (em_normalize) or an ASCII text (em_is_ascii; its
 * upper-case letters are folded here). Calls fn for
 * every match that respects the boundaries, in the order the matches end
 * (a name found twice is reported twice). Returns 0 or fn's non-zero
 * return. Thread-safe: m is only read. */
int em_scan(const em_matcher *m, const char *s, size_t n, em_hit_fn fn, void *arg);

#endif
