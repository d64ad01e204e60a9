/* tok_bench — measures tokenizer MB/s on one core; see tok_bench.h. */
#include <string.h>

#include "classify/tok_bench.h"
#include "util/timeutil.h"

#define TOK_BENCH_MAX_LEN 512

double tok_bench_mbps(tokenizer *t, const char **texts, int n, double seconds) {
    int32_t ids[TOK_BENCH_MAX_LEN];
    size_t pass_bytes = 0;
    for (int i = 0; i < n; i++) pass_bytes += strlen(texts[i]);
    if (pass_bytes == 0) return 0;
    int64_t budget = (int64_t)(seconds * 1e9);
    int64_t t0 = time_mono_ns(), el;
    double bytes = 0;
    do {
        for (int i = 0; i < n; i++) tok_encode(t, texts[i], strlen(texts[i]), TOK_BENCH_MAX_LEN, ids, NULL);
        bytes += (double)pass_bytes;
        el = time_mono_ns() - t0;
    } while (el < budget);
    return bytes / ((double)(el > 0 ? el : 1) / 1e9) / 1e6;
}
