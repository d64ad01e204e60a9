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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "classify/batch.h"
#include "classify/encoder.h"
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

static cls_model *load_ok(const char *variant) {
    char dir[256], err[512] = "";
    snprintf(dir, sizeof dir, FIX "/%s", variant);
    cls_model *m = cls_model_load(dir, NULL, err, sizeof err);
    if (!m) fail_msg("%s", err);
    return m;
}

/* Each sequence alone through enc_forward, all of them through the batcher
 * with a small budget (several forwards, reordered), and the padded batch
 * through the reference path: every logit within TOL of PyTorch's. */
static void check_variant(const char *variant) {
    cls_model *m = load_ok(variant);
    expected e = load_expected(variant);
    assert_int_equal(m->n_out, e.k);
    enc_ws *ws = enc_ws_new(m, 64, m->cfg.max_position);
    float got[16];
    uint64_t real = 0;
    int longest = 0;
    for (int i = 0; i < e.n; i++) {
        enc_forward(m, ws, e.ids[i], &e.lens[i], 1, got);
        float d = max_diff(got, e.logits[i], e.k);
        if (d > TOL) fail_msg("%s: sequence %d: fast path max abs diff %g > %g", variant, i, d, TOL);
        real += (uint64_t)e.lens[i];
        longest = e.lens[i] > longest ? e.lens[i] : longest;
    }
    assert_int_equal(enc_ws_rows(ws), real); /* the encoder's own count of the rows it ran on */
    enc_ws_free(ws);

    batcher *b = batch_new(m, 48, 64, 4);
    float *all = xmalloc(sizeof(float) * (size_t)e.n * (size_t)e.k);
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

/* Fast (packed, sgemm) against reference (padded, masked, loops) on a
 * random model with a shape unlike the fixture's. */
static void test_fast_matches_reference(void **state) {
    (void)state;
    model_config cfg;
    mcfg_init_shape(&cfg, 48, 2, 3, 96, 200);
    cfg.max_position = 32;
    cls_model *m = cls_model_random(&cfg, 7);
    /* wider weights than BERT init so that the test can see a difference */
    for (size_t i = 0; i < m->n_params; i++) m->params[i] *= 10.0f;
    for (int l = 0; l < m->cfg.num_layers; l++)
        for (int c = 0; c < 48; c++) m->layers[l].ln1_w[c] = m->layers[l].ln2_w[c] = 1.0f + 0.01f * (float)c;
    for (int c = 0; c < 48; c++) m->emb_ln_w[c] = 1.0f;
    enum { B = 5, T = 32 };
    int lens[B] = {3, 32, 1, 17, 9};
    int32_t ids[B * T] = {0}, packed[B * T];
    float mask[B * T] = {0}, ref[B * 2], fast[B * 2];
    int np = 0;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < lens[b]; t++) {
            ids[b * T + t] = packed[np++] = (int32_t)((b * 131 + t * 17) % 200);
            mask[b * T + t] = 1;
        }
    enc_ref_forward(m, ids, NULL, mask, B, T, ref);
    enc_ws *ws = enc_ws_new(m, np, T);
    enc_forward(m, ws, packed, lens, B, fast);
    assert_true(max_diff(ref, fast, B * 2) <= TOL);
    assert_true(max_diff(ref, ref + 2, 2) > 1e-3f); /* outputs depend on the input */
    enc_ws_free(ws);
    cls_model_free(m);
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
        cmocka_unit_test(test_batch_rejects_bad_input),
        cmocka_unit_test(test_half_conversions),
        cmocka_unit_test_setup_teardown(test_corrupt_safetensors, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_corrupt_models, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_errors_one_line, setup_tmp, teardown_tmp),
    };
    return cmocka_run_group_tests_name("encoder", tests, NULL, NULL);
}
