/* Unit tests for classify/: the safetensors reader, model loading (F32,
 * F16, BF16, old LayerNorm names, multi-head), the encoder against logits
 * computed by PyTorch (tools/make_encoder_fixture.py, fixtures in
 * tests/fixtures/encoder/), the fast path against the reference path, the
 * padding-free batcher, and one exact error per kind of corrupt file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cJSON.h>
#include <math.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "classify/batch.h"
#include "classify/encoder.h"
#include "classify/kernels.h"
#include "classify/model.h"
#include "classify/model_config.h"
#include "classify/safetensors.h"
#include "util/xalloc.h"

#define FIX "tests/fixtures/encoder"
#define TOL 1e-4f

typedef struct expected {
    int n;
    int32_t **ids;
    int *lens;
    float **logits;
    int k;
} expected;

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = xmalloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = 0;
    fclose(f);
    if (len) *len = (size_t)n;
    return buf;
}

static void spit(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static expected load_expected(const char *variant) {
    char path[256];
    snprintf(path, sizeof path, FIX "/%s/expected.json", variant);
    char *s = slurp(path, NULL);
    cJSON *root = cJSON_Parse(s);
    free(s);
    assert_non_null(root);
    const cJSON *seqs = cJSON_GetObjectItem(root, "sequences");
    expected e = {0};
    e.n = cJSON_GetArraySize(seqs);
    e.ids = xcalloc((size_t)e.n, sizeof *e.ids);
    e.lens = xcalloc((size_t)e.n, sizeof *e.lens);
    e.logits = xcalloc((size_t)e.n, sizeof *e.logits);
    for (int i = 0; i < e.n; i++) {
        const cJSON *q = cJSON_GetArrayItem(seqs, i), *ids = cJSON_GetObjectItem(q, "ids"),
                    *lg = cJSON_GetObjectItem(q, "logits");
        e.lens[i] = cJSON_GetArraySize(ids);
        e.k = cJSON_GetArraySize(lg);
        e.ids[i] = xmalloc(sizeof(int32_t) * (size_t)e.lens[i]);
        e.logits[i] = xmalloc(sizeof(float) * (size_t)e.k);
        for (int t = 0; t < e.lens[i]; t++) e.ids[i][t] = (int32_t)cJSON_GetArrayItem(ids, t)->valuedouble;
        for (int j = 0; j < e.k; j++) e.logits[i][j] = (float)cJSON_GetArrayItem(lg, j)->valuedouble;
    }
    cJSON_Delete(root);
    return e;
}

static void free_expected(expected *e) {
    for (int i = 0; i < e->n; i++) {
        free(e->ids[i]);
        free(e->logits[i]);
    }
    free(e->ids);
    free(e->lens);
    free(e->logits);
}

static float max_diff(const float *a, const float *b, int n) {
    float m = 0;
    for (int i = 0; i < n; i++) m = fmaxf(m, fabsf(a[i] - b[i]));
    return m;
}

/* Loads a fixture model and packs it for enc_forward in fp32. */
static cls_model *load_ok(const char *variant) {
    char dir[256], err[512] = "";
    snprintf(dir, sizeof dir, FIX "/%s", variant);
    cls_model *m = cls_model_load(dir, NULL, err, sizeof err);
    if (!m) fail_msg("%s", err);
    enc_prepare(m, ENC_FP32);
    return m;
}

/* The kernel sets this CPU runs: plain always, avx2 and avx512 where the
 * CPU has them (each one skipped elsewhere is named once on stderr). */
static const char *const kernel_sets[] = {"plain", "avx2", "avx512"};
#define N_KERNEL_SETS 3

static const kern_ops *runnable(const char *name) {
    static int told[N_KERNEL_SETS];
    const kern_ops *k = kern_by_name(name);
    for (int i = 0; !k && i < N_KERNEL_SETS; i++)
        if (strcmp(kernel_sets[i], name) == 0 && !told[i]++)
            fprintf(stderr, "test_encoder: this CPU does not run the %s kernels: not tested here\n", name);
    return k;
}

/* Each sequence alone through enc_forward on every kernel set the CPU runs,
 * with 1 and 2 threads (2 threads and one sequence: the phase form),
 * then all of them together (2 threads: the sequence-group form), all of
 * them through the batcher with a small budget (several forwards,
 * reordered), and the padded batch through the reference path: every
 * logit within TOL of PyTorch's. */
static void check_variant(const char *variant) {
    cls_model *m = load_ok(variant);
    expected e = load_expected(variant);
    assert_int_equal(m->n_out, e.k);
    int total = 0, longest = 0;
    for (int i = 0; i < e.n; i++) {
        total += e.lens[i];
        longest = e.lens[i] > longest ? e.lens[i] : longest;
    }
    uint64_t real = (uint64_t)total;
    int32_t *packed = xmalloc(sizeof *packed * (size_t)total);
    for (int i = 0, t = 0; i < e.n; t += e.lens[i], i++) memcpy(packed + t, e.ids[i], sizeof *packed * (size_t)e.lens[i]);
    float *all = xmalloc(sizeof(float) * (size_t)e.n * (size_t)e.k);
    for (int ks = 0; ks < N_KERNEL_SETS; ks++) {
        const kern_ops *k = runnable(kernel_sets[ks]);
        if (!k) continue;
        for (int threads = 1; threads <= 2; threads++) {
            enc_set_threads(threads);
            enc_ws *ws = enc_ws_new(m, total, m->cfg.max_position);
            enc_ws_use_kernels(ws, k);
            float got[16];
            for (int i = 0; i < e.n; i++) {
                enc_forward(m, ws, e.ids[i], &e.lens[i], 1, got);
                float d = max_diff(got, e.logits[i], e.k);
                if (d > TOL)
                    fail_msg("%s: %s kernels, %d threads: sequence %d alone: max abs diff %g > %g", variant, k->name,
                             threads, i, d, TOL);
            }
            enc_forward(m, ws, packed, e.lens, e.n, all);
            for (int i = 0; i < e.n; i++) {
                float d = max_diff(all + (size_t)i * e.k, e.logits[i], e.k);
                if (d > TOL)
                    fail_msg("%s: %s kernels, %d threads: sequence %d of %d packed: max abs diff %g > %g", variant,
                             k->name, threads, i, e.n, d, TOL);
            }
            /* the encoder's own count of the rows it ran on: each sequence
             * alone, then all of them packed */
            assert_int_equal(enc_ws_rows(ws), 2 * real);
            enc_ws_free(ws);
        }
    }
    enc_set_threads(1);
    free(packed);

    batcher *b = batch_new(m, 48, 64, 4);
    batch_stats st = {0};
    char err[256];
    assert_int_equal(batch_run(b, (const int32_t *const *)e.ids, e.lens, e.n, all, &st, err, sizeof err), 0);
    for (int i = 0; i < e.n; i++) {
        float d = max_diff(all + (size_t)i * e.k, e.logits[i], e.k);
        if (d > TOL) fail_msg("%s: sequence %d: batched max abs diff %g", variant, i, d);
    }
    assert_true(st.forwards > 1);
    assert_int_equal(st.sequences, (uint64_t)e.n);
    /* padding: the rows the encoder computed against the real tokens
     * counted here, and what a padded batch would compute, counted here
     * too: one forward of all of them, B × the longest */
    assert_int_equal(st.tokens, real);
    assert_int_equal(st.computed_tokens, real);
    assert_true(batch_padding_share(&st) == 0.0);
    batch_free(b);
    b = batch_new(m, 64 * e.n, 64, e.n);
    batch_stats one = {0};
    assert_int_equal(batch_run(b, (const int32_t *const *)e.ids, e.lens, e.n, all, &one, err, sizeof err), 0);
    assert_int_equal(one.forwards, 1);
    assert_int_equal(one.padded_rows, (uint64_t)e.n * (uint64_t)longest);
    assert_true(one.padded_rows > real); /* the fixture's lengths differ: a padded batch would waste rows */
    batch_free(b);
    free(all);

    /* reference: a padded batch of the first six with a mask */
    int B = 6, T = 0;
    for (int i = 0; i < B; i++) T = e.lens[i] > T ? e.lens[i] : T;
    int32_t *ids = xcalloc((size_t)B * T, sizeof *ids);
    float *mask = xcalloc((size_t)B * T, sizeof *mask), *lg = xmalloc(sizeof(float) * (size_t)B * e.k);
    for (int i = 0; i < B; i++)
        for (int t = 0; t < e.lens[i]; t++) {
            ids[i * T + t] = e.ids[i][t];
            mask[i * T + t] = 1;
        }
    enc_ref_forward(m, ids, NULL, mask, B, T, lg);
    for (int i = 0; i < B; i++) {
        float d = max_diff(lg + (size_t)i * e.k, e.logits[i], e.k);
        if (d > TOL) fail_msg("%s: sequence %d: reference max abs diff %g", variant, i, d);
    }
    free(ids);
    free(mask);
    free(lg);
    free_expected(&e);
    cls_model_free(m);
}

static void test_base_f32(void **s) { (void)s; check_variant("base"); }
static void test_f16(void **s) { (void)s; check_variant("f16"); }
static void test_bf16(void **s) { (void)s; check_variant("bf16"); }
static void test_old_names(void **s) { (void)s; check_variant("oldnames"); }
static void test_multihead(void **s) { (void)s; check_variant("multihead"); }

static void test_heads_and_labels(void **state) {
    (void)state;
    cls_model *m = load_ok("multihead");
    assert_int_equal(m->cfg.n_heads, 2);
    assert_int_equal(cls_model_head(m, "topic"), 0);
    assert_int_equal(cls_model_head(m, "sentiment"), 1);
    assert_int_equal(cls_model_head(m, "nope"), -1);
    assert_string_equal(m->cfg.heads[0].labels[2], "m&a");
    assert_int_equal(m->head_off[1], 4);
    assert_int_equal(m->n_out, 7);
    cls_model_free(m);
    char err[256];
    m = cls_model_load(FIX "/base", "tone", err, sizeof err);
    assert_non_null(m);
    assert_int_equal(m->cfg.n_heads, 1);
    assert_string_equal(m->cfg.heads[0].name, "tone");
    assert_string_equal(m->cfg.heads[0].labels[0], "negative");
    assert_int_equal(m->do_lower_case, 1);
    cls_model_free(m);
}

/* A random model with a shape unlike the fixture's (HS 16, C 48, I 96: no
 * multiple of the 16-channel panels but C), weights 10 times BERT's init
 * so that the tests can see a difference, and five packed sequences of
 * lengths 3, 32, 1, 17, 9 with their padded form and mask. */
enum { RB = 5, RT = 32 };
typedef struct rand_case {
    cls_model *m;
    int lens[RB], np;
    int32_t ids[RB * RT], packed[RB * RT];
    float mask[RB * RT];
} rand_case;

static void rand_case_init(rand_case *r) {
    model_config cfg;
    mcfg_init_shape(&cfg, 48, 2, 3, 96, 200);
    cfg.max_position = 32;
    memset(r, 0, sizeof *r);
    r->m = cls_model_random(&cfg, 7);
    cls_model *m = r->m;
    for (size_t i = 0; i < m->n_params; i++) m->params[i] *= 10.0f;
    for (int l = 0; l < m->cfg.num_layers; l++)
        for (int c = 0; c < 48; c++) m->layers[l].ln1_w[c] = m->layers[l].ln2_w[c] = 1.0f + 0.01f * (float)c;
    for (int c = 0; c < 48; c++) m->emb_ln_w[c] = 1.0f;
    static const int lens[RB] = {3, 32, 1, 17, 9};
    for (int b = 0; b < RB; b++) {
        r->lens[b] = lens[b];
        for (int t = 0; t < lens[b]; t++) {
            r->ids[b * RT + t] = r->packed[r->np++] = (int32_t)((b * 131 + t * 17) % 200);
            r->mask[b * RT + t] = 1;
        }
    }
}

/* enc_forward of the case on kernel set k with `threads` threads. */
static void rand_case_fast(rand_case *r, const kern_ops *k, int threads, float *logits) {
    enc_set_threads(threads);
    enc_ws *ws = enc_ws_new(r->m, r->np, RT);
    enc_ws_use_kernels(ws, k);
    enc_forward(r->m, ws, r->packed, r->lens, RB, logits);
    enc_ws_free(ws);
    enc_set_threads(1);
}

/* Fast (packed, kernels) against reference (padded, masked, loops), on
 * every kernel set the CPU runs, with 1, 2 (sequence groups) and 3
 * (phases) threads. */
static void test_fast_matches_reference(void **state) {
    (void)state;
    rand_case r;
    rand_case_init(&r);
    float ref[RB * 2], fast[RB * 2];
    enc_ref_forward(r.m, r.ids, NULL, r.mask, RB, RT, ref);
    assert_true(max_diff(ref, ref + 2, 2) > 1e-3f); /* outputs depend on the input */
    enc_prepare(r.m, ENC_FP32);
    for (int ks = 0; ks < N_KERNEL_SETS; ks++) {
        const kern_ops *k = runnable(kernel_sets[ks]);
        for (int threads = 1; k && threads <= 3; threads++) {
            rand_case_fast(&r, k, threads, fast);
            float d = max_diff(ref, fast, RB * 2);
            if (d > TOL) fail_msg("%s kernels, %d threads: max abs diff %g > %g", k->name, threads, d, TOL);
        }
    }
    cls_model_free(r.m);
}

/* int8: every kernel set gives the plain set's logits (the int32 sums are
 * exact; the float steps round alike but for FMAs), with any thread
 * count; and the logits stay near the fp32 reference's, same labels. */
static void test_int8_forward(void **state) {
    (void)state;
    rand_case r;
    rand_case_init(&r);
    float ref[RB * 2], plain[RB * 2], got[RB * 2];
    enc_ref_forward(r.m, r.ids, NULL, r.mask, RB, RT, ref);
    enc_prepare(r.m, ENC_INT8);
    rand_case_fast(&r, &kern_plain, 1, plain);
    float range = 0;
    for (int i = 0; i < RB * 2; i++) range = fmaxf(range, fabsf(ref[i]));
    float d = max_diff(ref, plain, RB * 2);
    /* 7-bit codes on weights 10 times BERT's scale, through 2 layers: over
     * random models (seeds 1-16) the largest error was 4-11 % of the
     * largest logit; a broken int8 path is off by the whole range */
    if (d > 0.2f * range) fail_msg("int8 against fp32 reference: max abs diff %g (logits up to %g)", d, range);
    for (int b = 0; b < RB; b++) assert_int_equal(ref[2 * b] > ref[2 * b + 1], plain[2 * b] > plain[2 * b + 1]);
    assert_true(d > 0); /* it did run in int8 */
    for (int ks = 0; ks < N_KERNEL_SETS; ks++) {
        const kern_ops *k = runnable(kernel_sets[ks]);
        for (int threads = 1; k && threads <= 3; threads++) {
            rand_case_fast(&r, k, threads, got);
            float e = max_diff(plain, got, RB * 2);
            if (e > 1e-4f * range) fail_msg("int8, %s kernels, %d threads: %g off the plain kernels", k->name, threads, e);
        }
    }
    cls_model_free(r.m);
}

static void test_batch_rejects_bad_input(void **state) {
    (void)state;
    cls_model *m = load_ok("base");
    batcher *b = batch_new(m, 100, 512, 8);
    assert_int_equal(batch_max_len(b), 40);
    int32_t ids[41] = {2, 3};
    const int32_t *p = ids;
    int len = 41;
    float lg[3];
    char err[256];
    assert_int_equal(batch_run(b, &p, &len, 1, lg, NULL, err, sizeof err), -1);
    assert_string_equal(err, "sequence 0: length 41 outside 1..40");
    len = 2;
    ids[1] = 5000;
    assert_int_equal(batch_run(b, &p, &len, 1, lg, NULL, err, sizeof err), -1);
    assert_string_equal(err, "sequence 0: token id 5000 outside the vocabulary (0..96)");
    batch_free(b);
    cls_model_free(m);
}

static void test_half_conversions(void **state) {
    (void)state;
    assert_true(st_f16_to_f32(0x3c00) == 1.0f);
    assert_true(st_f16_to_f32(0xc000) == -2.0f);
    assert_true(st_f16_to_f32(0x0001) == ldexpf(1.0f, -24)); /* smallest subnormal */
    assert_true(isinf(st_f16_to_f32(0x7c00)));
    assert_true(isnan(st_f16_to_f32(0x7e00)));
    assert_int_equal(st_f32_to_f16(1.0f), 0x3c00);
    assert_int_equal(st_f32_to_f16(65520.0f), 0x7c00);
    assert_int_equal(st_f32_to_f16(ldexpf(1.0f, -24)), 0x0001);
    assert_int_equal(st_f32_to_f16(1.0f + ldexpf(1.0f, -11)), 0x3c00); /* tie to even */
    assert_true(st_bf16_to_f32(0x3f80) == 1.0f);
    assert_int_equal(st_f32_to_bf16(1.00390625f), 0x3f80); /* tie to even */
    for (int h = 0; h < 0x7c00; h += 7) assert_int_equal(st_f32_to_f16(st_f16_to_f32((uint16_t)h)), h);
}

/* ---- corrupt files: one exact error each ---- */

static char tmpdir[64];

static int setup_tmp(void **state) {
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_encoder.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **state) {
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd);
}

/* Writes a safetensors file with the given header text, a header length
 * field hlen_field (0: the real length) and data_len zero bytes. */
static void write_raw(const char *path, const char *header, uint64_t hlen_field, size_t data_len) {
    size_t hl = strlen(header);
    uint64_t field = hlen_field ? hlen_field : hl;
    unsigned char *buf = xcalloc(1, 8 + hl + data_len);
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)(field >> (8 * i));
    memcpy(buf + 8, header, hl);
    spit(path, buf, 8 + hl + data_len);
    free(buf);
}

static void expect_st_error(const char *header, uint64_t hlen_field, size_t data_len, const char *want_fmt) {
    char path[128], want[512], err[512] = "";
    snprintf(path, sizeof path, "%s/x.safetensors", tmpdir);
    write_raw(path, header, hlen_field, data_len);
    st_file *f = st_open(path, err, sizeof err);
    assert_null(f);
    snprintf(want, sizeof want, want_fmt, path);
    assert_string_equal(err, want);
}

static void test_corrupt_safetensors(void **state) {
    (void)state;
    expect_st_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 0, 8,
                    "%s: tensor 'a': data_offsets [0, 16) beyond the data (8 bytes; file truncated?)");
    expect_st_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 1000, 4,
                    "%s: header length 1000 beyond the file size 66");
    expect_st_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                    "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}",
                    0, 24, "%s: tensor 'b': data overlaps tensor 'a'");
    /* an empty tensor between two overlapping ones does not hide them (fuzz
     * find, corpus entry fuzz/corpus/safetensors/overlap-past-empty) */
    expect_st_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]},"
                    "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]},"
                    "\"c\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}}",
                    0, 32, "%s: tensor 'c': data overlaps tensor 'a'");
    expect_st_error("{\"a\":{\"dtype\":\"Q7\",\"shape\":[4],\"data_offsets\":[0,16]}}", 0, 16,
                    "%s: tensor 'a': unknown dtype 'Q7'");
    expect_st_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", 0, 16,
                    "%s: tensor 'a': data_offsets span 16 bytes but shape and dtype need 12");
    expect_st_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}}", 0, 16,
                    "%s: tensor 'a': shape holds a value that is not a non-negative integer");
    expect_st_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]", 0, 16,
                    "%s: header is not a JSON object");
    expect_st_error("", 0, 0, "%s: header is not a JSON object");
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/short.safetensors", tmpdir);
    spit(path, "abc", 3);
    assert_null(st_open(path, err, sizeof err));
    char want[256];
    snprintf(want, sizeof want, "%s: file too short (3 bytes) for a safetensors header", path);
    assert_string_equal(err, want);
    /* a valid file with a non-float tensor opens; the tensor does not convert */
    snprintf(path, sizeof path, "%s/ok.safetensors", tmpdir);
    write_raw(path, "{\"__metadata__\":{\"format\":\"pt\"},\"p\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}",
              0, 16);
    st_file *f = st_open(path, err, sizeof err);
    assert_non_null(f);
    assert_int_equal(st_count(f), 1);
    float out[2];
    assert_int_equal(st_to_f32(st_find(f, "p"), out), -1);
    st_close(f);
}

/* Found by fuzz/fuzz_safetensors and fuzz/fuzz_model_config: a name or
 * value with a newline in it split the one-line error in two. */
static void test_errors_one_line(void **state) {
    (void)state;
    expect_st_error("{\"a\":{\"dtype\":\"F32\\n\",\"shape\":[1],\"data_offsets\":[0,4]}}", 0, 4,
                    "%s: tensor 'a': unknown dtype 'F32?'");
    expect_st_error("{\"a\\r\\nb\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 0, 4,
                    "%s: tensor 'a??b': data_offsets span 4 bytes but shape and dtype need 8");
    char path[128], want[256], err[256] = "";
    snprintf(path, sizeof path, "%s/config.json", tmpdir);
    const char *cfg = "{\"hidden_act\": \"re\\nlu\"}";
    spit(path, cfg, strlen(cfg));
    model_config mc;
    assert_int_equal(mcfg_load(path, NULL, &mc, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: \"hidden_act\": only \"gelu\" (exact erf) is supported, got \"re?lu\"", path);
    assert_string_equal(err, want);
    cfg = "{\"id2label\": {\"0\": \"a\", \"x\\ny\": \"b\"}}";
    spit(path, cfg, strlen(cfg));
    assert_int_equal(mcfg_load(path, NULL, &mc, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: \"id2label\": key \"x?y\" is not a label id in 0..1 with a string label", path);
    assert_string_equal(err, want);
}

/* Found by fuzz/fuzz_model_config (CI's smoke, stop 22): a layer_norm_eps
 * above 0 as a double but 0 as a float (1e-50) loaded, and layer norm of a
 * constant row divided by zero. */
static void test_layer_norm_eps_float(void **state) {
    (void)state;
    char path[128], want[256], err[256] = "";
    snprintf(path, sizeof path, "%s/config.json", tmpdir);
    snprintf(want, sizeof want, "%s: \"layer_norm_eps\": expected a number in [%g, 1)", path, (double)FLT_MIN);
    const char *bad[] = {"{\"layer_norm_eps\": 1e-50}", "{\"layer_norm_eps\": 1e-39}", "{\"layer_norm_eps\": 0}",
                         "{\"layer_norm_eps\": 1}", "{\"layer_norm_eps\": \"1e-5\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        model_config mc;
        spit(path, bad[i], strlen(bad[i]));
        assert_int_equal(mcfg_load(path, NULL, &mc, err, sizeof err), -1);
        assert_string_equal(err, want);
    }
    const char *ok = "{\"layer_norm_eps\": 1e-37}";
    spit(path, ok, strlen(ok));
    model_config mc;
    assert_int_equal(mcfg_load(path, NULL, &mc, err, sizeof err), 0);
    assert_true(mc.layer_norm_eps > 0);
    mcfg_free(&mc);
}

/* A model dir in tmpdir/name: config from base (with one key changed when
 * cfg_edit is given) and base's tensors written by st_write, minus the one
 * named skip. Returns the dir in a static buffer. */
static const char *make_model_dir(const char *name, const char *skip, const char *cfg_from, const char *cfg_to) {
    static char dir[256];
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, name);
    mkdir(dir, 0755);
    char path[300], err[256];
    char *cfg = slurp(FIX "/base/config.json", NULL);
    if (cfg_from) {
        char *p = strstr(cfg, cfg_from);
        assert_non_null(p);
        char *edited = xasprintf("%.*s%s%s", (int)(p - cfg), cfg, cfg_to, p + strlen(cfg_from));
        free(cfg);
        cfg = edited;
    }
    snprintf(path, sizeof path, "%s/config.json", dir);
    spit(path, cfg, strlen(cfg));
    free(cfg);
    cls_model *m = load_ok("base");
    int n = cls_model_tensors(m, NULL, 0);
    cls_param *ps = xcalloc((size_t)n, sizeof *ps);
    st_write_tensor *wt = xcalloc((size_t)n, sizeof *wt);
    cls_model_tensors(m, ps, n);
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (skip && strcmp(ps[i].name, skip) == 0) continue;
        wt[k].name = ps[i].name;
        wt[k].ndim = ps[i].ndim;
        wt[k].shape[0] = ps[i].shape[0];
        wt[k].shape[1] = ps[i].shape[1];
        wt[k].data = ps[i].data;
        k++;
    }
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    assert_int_equal(st_write(path, wt, k, ST_BF16, err, sizeof err), 0);
    free(wt);
    free(ps);
    cls_model_free(m);
    return dir;
}

static void expect_model_error(const char *dir, const char *want_fmt) {
    char err[512] = "", want[512];
    cls_model *m = cls_model_load(dir, NULL, err, sizeof err);
    assert_null(m);
    snprintf(want, sizeof want, want_fmt, dir);
    assert_string_equal(err, want);
}

static void test_corrupt_models(void **state) {
    (void)state;
    /* st_write round trip: a complete BF16 copy loads */
    const char *dir = make_model_dir("copy", NULL, NULL, NULL);
    char err[256];
    cls_model *m = cls_model_load(dir, NULL, err, sizeof err);
    assert_non_null(m);
    cls_model_free(m);

    dir = make_model_dir("missing", "bert.pooler.dense.bias", NULL, NULL);
    expect_model_error(dir, "%s/model.safetensors: tensor 'bert.pooler.dense.bias': missing");
    dir = make_model_dir("shape", NULL, "\"intermediate_size\": 64", "\"intermediate_size\": 65");
    expect_model_error(dir, "%s/model.safetensors: tensor 'bert.encoder.layer.0.intermediate.dense.weight': "
                            "shape [64, 32], expected [65, 32]");
    dir = make_model_dir("act", NULL, "\"gelu\"", "\"relu\"");
    expect_model_error(dir, "%s/config.json: \"hidden_act\": only \"gelu\" (exact erf) is supported, got \"relu\"");
    dir = make_model_dir("heads", NULL, "\"num_attention_heads\": 4", "\"num_attention_heads\": 5");
    expect_model_error(dir, "%s/config.json: \"hidden_size\" 32 is not a multiple of \"num_attention_heads\" 5");

    /* truncated by one byte: the last tensor in the data runs past the end */
    size_t len;
    char *st = slurp(FIX "/base/model.safetensors", &len);
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--) hl = (hl << 8) | (unsigned char)st[i];
    size_t data_len = len - 8 - (size_t)hl;
    char path[300];
    dir = make_model_dir("trunc", NULL, NULL, NULL);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    spit(path, st, len - 1);
    free(st);
    char want[300];
    snprintf(want, sizeof want,
             "%%s/model.safetensors: tensor 'classifier.bias': data_offsets [%zu, %zu) beyond the data (%zu bytes; "
             "file truncated?)",
             data_len - 12, data_len, data_len - 1);
    expect_model_error(dir, want);

    expect_model_error(FIX "/nonexistent", "%s/config.json: No such file or directory");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_f32),
        cmocka_unit_test(test_f16),
        cmocka_unit_test(test_bf16),
        cmocka_unit_test(test_old_names),
        cmocka_unit_test(test_multihead),
        cmocka_unit_test(test_heads_and_labels),
        cmocka_unit_test(test_fast_matches_reference),
        cmocka_unit_test(test_int8_forward),
        cmocka_unit_test(test_batch_rejects_bad_input),
        cmocka_unit_test(test_half_conversions),
        cmocka_unit_test_setup_teardown(test_corrupt_safetensors, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_corrupt_models, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_errors_one_line, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_layer_norm_eps_float, setup_tmp, teardown_tmp),
    };
    return cmocka_run_group_tests_name("encoder", tests, NULL, NULL);
}
