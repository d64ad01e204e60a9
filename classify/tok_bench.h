/* tok_bench — tokenizer throughput for `finsent bench classify`. */
#ifndef FINSENT_TOK_BENCH_H
#define FINSENT_TOK_BENCH_H

#include "classify/tokenizer.h"

/* Encodes texts[0..n) with t (max_len 512) over and over on the calling
 * thread until at least `seconds` have passed (one full pass at least) and
 * returns the input bytes processed per second in MB (1e6 bytes). Returns
 * 0 when n is 0 or every text is empty. Can't fail. */
double tok_bench_mbps(tokenizer *t, const char **texts, int n, double seconds);

#endif
