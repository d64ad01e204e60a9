/* onednn_eval — the measurement behind docs/encoder.md's choice between
 * oneDNN (Debian 12's libdnnl-dev, 2.6) and finsent's own kernels for the
 * encoder's dense layers: the same products, the same one thread, timed in
 * CPU seconds (the machine may be shared), fp32 and int8 (u8 activations
 * times s8 weights into s32), at the shapes of a 256x4 and a 768x12
 * encoder's four dense layers and rows of one sequence group.
 *
 * oneDNN gets its best case: weights reordered once into the layout its
 * primitive asks for (format_tag any), primitives made once, only execute
 * timed, and its int8 result left in s32 (finsent's kernels also
 * dequantise, add the bias and apply GELU in the same pass). Not built by
 * the Makefile (the project does not depend on oneDNN):
 *
 *   apt-get install libdnnl-dev && make
 *   cc -O2 -I. tools/onednn_eval.c build/classify/kernels*.o build/classify/wpack.o \
 *      build/util/xalloc.o build/util/log.o -ldnnl -lcjson -lm -pthread -o build/onednn_eval
 *   OMP_NUM_THREADS=1 build/onednn_eval [ROWS]
 */
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify/kernels.h"
#include "classify/wpack.h"

#define CHECK(x)                                                                   \
    do {                                                                           \
        dnnl_status_t st_ = (x);                                                   \
        if (st_ != dnnl_success) {                                                 \
            fprintf(stderr, "onednn_eval: %s: status %d (%s:%d)\n", #x, st_, __FILE__, __LINE__); \
            exit(1);                                                               \
        }                                                                          \
    } while (0)

static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* One oneDNN matmul out (M,N) = a (M,K) b (K,N), weights reordered once. */
typedef struct dmm {
    dnnl_primitive_t prim;
    dnnl_memory_t a, b, c;
    const char *impl;
} dmm;

static dmm dmm_new(dnnl_engine_t eng, dnnl_stream_t s, int M, int N, int K, dnnl_data_type_t at, dnnl_data_type_t bt,
                   dnnl_data_type_t ct, const void *a_data, const void *b_data) {
    dmm d;
    dnnl_memory_desc_t a_md, b_md, b_any, c_md;
    dnnl_dims_t ad = {M, K}, bd = {K, N}, cd = {M, N};
    CHECK(dnnl_memory_desc_init_by_tag(&a_md, 2, ad, at, dnnl_ab));
    CHECK(dnnl_memory_desc_init_by_tag(&b_md, 2, bd, bt, dnnl_ab));
    CHECK(dnnl_memory_desc_init_by_tag(&b_any, 2, bd, bt, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(&c_md, 2, cd, ct, dnnl_ab));
    dnnl_matmul_desc_t md;
    CHECK(dnnl_matmul_desc_init(&md, &a_md, &b_any, NULL, &c_md));
    dnnl_primitive_desc_t pd;
    CHECK(dnnl_primitive_desc_create(&pd, &md, NULL, eng, NULL));
    CHECK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &d.impl));
    const dnnl_memory_desc_t *w_md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    dnnl_memory_t b_plain;
    CHECK(dnnl_memory_create(&d.a, &a_md, eng, (void *)a_data));
    CHECK(dnnl_memory_create(&b_plain, &b_md, eng, (void *)b_data));
    CHECK(dnnl_memory_create(&d.b, w_md, eng, DNNL_MEMORY_ALLOCATE));
    CHECK(dnnl_memory_create(&d.c, &c_md, eng, DNNL_MEMORY_ALLOCATE));
    dnnl_primitive_desc_t rpd;
    dnnl_primitive_t r;
    CHECK(dnnl_reorder_primitive_desc_create(&rpd, &b_md, eng, w_md, eng, NULL));
    CHECK(dnnl_primitive_create(&r, rpd));
    dnnl_exec_arg_t ra[2] = {{DNNL_ARG_FROM, b_plain}, {DNNL_ARG_TO, d.b}};
    CHECK(dnnl_primitive_execute(r, s, 2, ra));
    CHECK(dnnl_stream_wait(s));
    CHECK(dnnl_primitive_create(&d.prim, pd));
    return d;
}

static void dmm_run(dmm *d, dnnl_stream_t s) {
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, d->a}, {DNNL_ARG_WEIGHTS, d->b}, {DNNL_ARG_DST, d->c}};
    CHECK(dnnl_primitive_execute(d->prim, s, 3, args));
    CHECK(dnnl_stream_wait(s));
}

int main(int argc, char **argv) {
    int M = argc > 1 ? atoi(argv[1]) : 256;
    static const int shapes[2][2] = {{256, 1024}, {768, 3072}}; /* C, I */
    dnnl_engine_t eng;
    dnnl_stream_t s;
    CHECK(dnnl_engine_create(&eng, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&s, eng, dnnl_stream_default_flags));
    const kern_ops *k = kern_get();
    printf("rows %d, one thread, GFLOP (or GOP) per CPU second; finsent kernels: %s\n", M, k->name);
    printf("%-10s %-6s %9s %9s %9s %9s %7s\n", "model", "layer", "dnnl f32", "fs f32", "dnnl s8", "fs int8", "fs8/dnnl8");
    for (int sh = 0; sh < 2; sh++) {
        int C = shapes[sh][0], I = shapes[sh][1];
        int ns[4] = {3 * C, C, I, C}, ks[4] = {C, C, C, I};
        const char *names[4] = {"qkv", "ao", "i", "o"};
        for (int l = 0; l < 4; l++) {
            int N = ns[l], K = ks[l];
            float *a = malloc(sizeof(float) * (size_t)M * K), *w = malloc(sizeof(float) * (size_t)N * K);
            float *wt = malloc(sizeof(float) * (size_t)N * K), *out = malloc(sizeof(float) * (size_t)M * N);
            uint8_t *a8 = malloc((size_t)M * K);
            int8_t *w8t = malloc((size_t)N * K);
            for (size_t i = 0; i < (size_t)M * K; i++) {
                a[i] = (float)(rand() % 2001) / 1000.0f - 1.0f;
                a8[i] = (uint8_t)(rand() % 128);
            }
            for (int n = 0; n < N; n++)
                for (int i = 0; i < K; i++) {
                    w[(size_t)n * K + i] = (float)(rand() % 2001) / 1000.0f - 1.0f;
                    wt[(size_t)i * N + n] = w[(size_t)n * K + i];
                    w8t[(size_t)i * N + n] = (int8_t)(rand() % 127 - 63);
                }
            wp_f32 pf;
            wp_q8 pq;
            wp_pack_f32(&pf, w, N, K);
            wp_pack_q8(&pq, w, N, K);
            uint8_t *q = malloc((size_t)M * pq.kp);
            float *sa = malloc(sizeof(float) * (size_t)M);
            int32_t *za = malloc(sizeof(int32_t) * (size_t)M);
            k->q8_rows(q, sa, za, a, M, K, pq.kp);
            dmm df = dmm_new(eng, s, M, N, K, dnnl_f32, dnnl_f32, dnnl_f32, a, wt);
            dmm d8 = dmm_new(eng, s, M, N, K, dnnl_u8, dnnl_s8, dnnl_s32, a8, w8t);
            double ops = 2.0 * M * N * K, r[4] = {0};
            int reps = (int)(4e9 / ops) + 1;
            for (int round = 0; round < 3; round++) { /* interleaved, best of three each */
                double t0 = cpu_now(), t[4];
                for (int i = 0; i < reps; i++) dmm_run(&df, s);
                t[0] = cpu_now() - t0;
                t0 = cpu_now();
                for (int i = 0; i < reps; i++) k->f32_gemm(out, N, a, K, M, &pf, NULL, 0);
                t[1] = cpu_now() - t0;
                t0 = cpu_now();
                for (int i = 0; i < reps; i++) dmm_run(&d8, s);
                t[2] = cpu_now() - t0;
                t0 = cpu_now();
                for (int i = 0; i < reps; i++) {
                    k->q8_rows(q, sa, za, a, M, K, pq.kp);
                    k->q8_gemm(out, N, q, sa, za, M, &pq, NULL, 0);
                }
                t[3] = cpu_now() - t0;
                for (int j = 0; j < 4; j++)
                    if (ops * reps / t[j] * 1e-9 > r[j]) r[j] = ops * reps / t[j] * 1e-9;
            }
            printf("%4dx%-5d %-6s %9.1f %9.1f %9.1f %9.1f %7.2f\n", C, C == 256 ? 4 : 12, names[l], r[0], r[1], r[2],
                   r[3], r[3] / r[2]);
            if (sh == 0 && l == 0) printf("  oneDNN implementations: f32 %s, int8 %s\n", df.impl, d8.impl);
            wp_f32_free(&pf);
            wp_q8_free(&pq);
            free(a);
            free(w);
            free(wt);
            free(out);
            free(a8);
            free(w8t);
            free(q);
            free(sa);
            free(za);
        }
    }
    return 0;
}
