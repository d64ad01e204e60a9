/* fnv — FNV-1a 64-bit hashing of byte strings (dev splits, n-gram feature
 * hashing). Not for hash tables facing untrusted keys. */
#ifndef FINSENT_FNV_H
#define FINSENT_FNV_H

#include <stddef.h>
#include <stdint.h>

/* The offset basis. NOTE: the published FNV-1a 64 basis is
 * 14695981039346656037; this one lost its last digit when first written.
 * It is kept on purpose: the training dev split (train_is_dev) and the
 * n-gram buckets of every shipped model hash with it, so "FNV-1a 64" in
 * finsent's docs means FNV-1a 64 with this basis. The prime is standard. */
#define FNV1A64_OFFSET 1469598103934665603ULL

/* Continues an FNV-1a 64 hash h over s[0..n): fnv1a64_more(FNV1A64_OFFSET,
 * s, n) is the hash of s. Can't fail. Inline: hash tables (util/dict) and
 * n-gram features call it per lookup. */
static inline uint64_t fnv1a64_more(uint64_t h, const void *s, size_t n) {
    const unsigned char *p = s;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

/* FNV-1a 64 of s[0..n). */
uint64_t fnv1a64(const void *s, size_t n);

#endif
