/* kernels — picking the kernel set for this CPU; see kernels.h. */
#include "classify/kernels.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

/* Whether this CPU (and OS) runs set k. */
static int cpu_runs(const kern_ops *k) {
    if (k == &kern_plain) return 1;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (k == &kern_avx2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (k == &kern_avx512) return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
#endif
    return 0;
}

/* Every set this build has, widest first. */
static const kern_ops *const all_sets[] = {
#if defined(__x86_64__) || defined(__i386__)
    &kern_avx512, &kern_avx2,
#endif
    &kern_plain,
};
#define N_SETS (sizeof all_sets / sizeof all_sets[0])

const kern_ops *kern_by_name(const char *name) {
    for (size_t i = 0; i < N_SETS; i++)
        if (strcmp(all_sets[i]->name, name) == 0) return cpu_runs(all_sets[i]) ? all_sets[i] : NULL;
    return NULL;
}

static const kern_ops *chosen;
static pthread_once_t chosen_once = PTHREAD_ONCE_INIT;

static void choose(void) {
    const char *want = getenv("FINSENT_KERNELS");
    if (want && *want) {
        if ((chosen = kern_by_name(want))) return;
        log_warn("kernels", "FINSENT_KERNELS=%s: not a kernel set this CPU runs (plain, avx2, avx512); ignored", want);
    }
    for (size_t i = 0; i < N_SETS && !chosen; i++)
        if (cpu_runs(all_sets[i])) chosen = all_sets[i];
}

const kern_ops *kern_get(void) {
    pthread_once(&chosen_once, choose);
    return chosen;
}

size_t kern_attn_scratch(int L, int HS) {
    size_t Lp = ((size_t)L + 15) & ~(size_t)15;
    return (size_t)HS * Lp + (size_t)L * Lp + (size_t)L;
}
