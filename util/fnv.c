/* fnv — FNV-1a 64; see fnv.h. */
#include "util/fnv.h"

uint64_t fnv1a64(const void *s, size_t n) { return fnv1a64_more(FNV1A64_OFFSET, s, n); }
