/* bench_classify — `finsent bench classify`: the encoder's throughput.
 *
 * Two forms:
 *  - the length mix (default): random ids in a realistic length mix, with
 *    the encoder's FLOP rate against this machine's OpenBLAS sgemm rate
 *    measured in the same process with the same threads on the same matrix
 *    shapes (M = the tokens of an average forward, N and K the layer's
 *    weight shapes). Encoder and sgemm runs alternate in rounds so that
 *    both see the same machine load; the ratio is what counts.
 *  - --ids FILE: given token ids (JSON lines with "ids", as `finsent
 *    tokenize` writes them), sorted by length and cut into batches of
 *    --batch, run in whole passes over all of them until --seconds have
 *    gone, after one warm-up pass: exactly what bench/ort_peer.js runs
 *    ONNX Runtime on, for bench/ort_peer.sh's ratio. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cJSON.h>

#include <cblas.h>
#undef I /* <complex.h>, pulled in by OpenBLAS, defines I */

#include "app/commands.h"
#include "bench/bench.h"
#include "classify/batch.h"
#include "classify/encoder.h"
#include "classify/kernels.h"
#include "classify/model.h"
#include "classify/tok_bench.h"
#include "classify/tokenizer.h"
#include "util/errmsg.h"
#include "util/rng.h"
#include "util/jsonl.h"
#include "util/xalloc.h"

#define N_SEQ 1024
#define MAX_LEN 128
#define ROUNDS 3
#define CHUNK 256 /* sequences per batch_run call */

static void usage(FILE *f) {
    fprintf(f,
            "usage: finsent bench classify (--model DIR | --shape HIDDEN,LAYERS,HEADS,INTERMEDIATE)\n"
            "                              [--threads N] [--seconds S] [--budget TOKENS]\n"
            "                              [--quantize none|int8] [--ids FILE [--batch N]] [--json]\n\n"
            "Runs the encoder on %d random sequences (60%% tweets of 10-60 tokens, 30%% headlines\n"
            "of 12-20, 10%% texts of 128) and reports sequences/s, tokens/s, the encoder's GFLOP/s,\n"
            "OpenBLAS sgemm GFLOP/s on the same shapes and threads, their ratio, and the share\n"
            "of padding computed, and tokenizer MB/s on one core. --shape uses random\n"
            "weights and a synthetic 30k vocabulary. With --ids it runs the given token ids\n"
            "instead (JSON lines with an \"ids\" array, as `finsent tokenize` writes them),\n"
            "sorted by length in batches of --batch, and reports sequences/s and peak RSS:\n"
            "what bench/ort_peer.sh compares with ONNX Runtime.\n\n"
            "  --model DIR        a model directory (model.safetensors, config.json)\n"
            "  --shape H,L,NH,I   hidden size, layers, attention heads, intermediate size\n"
            "  --threads N        encoder threads (default 2)\n"
            "  --seconds S        total measuring time (default 4)\n"
            "  --budget TOKENS    tokens per forward (default 4096)\n"
            "  --quantize MODE    none (default) or int8: dense layers in int8 (dynamic quantisation)\n"
            "  --ids FILE         token ids to run instead of the random mix\n"
            "  --batch N          sequences per forward with --ids (default 32)\n"
            "  --json             one JSON object; the ratio under \"ratio\"\n\n"
            "examples:\n  finsent bench classify --shape 256,4,4,1024 --threads 2 --json\n"
            "  finsent tokenize --vocab models/default/vocab.txt texts.jsonl > ids.jsonl\n"
            "  finsent bench classify --model models/default --ids ids.jsonl --quantize int8\n",
            N_SEQ);
}

/* A length from the mix, capped at max_len. */
static int mix_len(rng_pcg *s, int max_len) {
    int r = (int)rng_below(s, 100), len;
    if (r < 60) len = 10 + (int)rng_below(s, 51);
    else if (r < 90) len = 12 + (int)rng_below(s, 9);
    else len = MAX_LEN;
    return len < max_len ? len : max_len;
}

/* One layer's four dense products at M rows, as enc_matmul_forward runs them. */
static void sgemm_layer(int M, int C, int I, const float *a, const float *w, float *out) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, 3 * C, C, 1.0f, a, C, w, C, 0.0f, out, 3 * C);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, C, C, 1.0f, a, C, w, C, 0.0f, out, C);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, I, C, 1.0f, a, C, w, C, 0.0f, out, I);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, C, I, 1.0f, a, I, w, I, 0.0f, out, C);
}

static const char *const words[] = {
    "the", "stock", "shares", "fell", "rose", "after", "earnings", "beat", "missed", "guidance", "cut", "raised",
    "bank", "market", "record", "profit", "loss", "quarter", "analysts", "expect", "revenue", "growth", "weak",
    "strong", "dividend", "buyback", "merger", "deal", "ceo", "resigns", "lawsuit", "recall", "rally", "crash",
    "investors", "fed", "rates", "inflation", "bullish", "bearish", "downgrade", "upgrade", "$AAPL", "$TSLA",
    "Q3", "3.5%", "$1.2bn", "!!", "—", "Zürich", "é", "🚀", "(Reuters)", "https://t.co/x1y2",
};
#define N_WORDS ((int)(sizeof words / sizeof words[0]))

/* A tweet- or headline-like text of n words; caller frees. */
static char *make_text(rng_pcg *s, int n) {
    size_t cap = 16, len = 0;
    char *t = xmalloc(cap);
    for (int i = 0; i < n; i++) {
        const char *w = words[rng_below(s, N_WORDS)];
        size_t wl = strlen(w);
        if (len + wl + 2 > cap) t = xrealloc(t, cap = 2 * (len + wl + 2));
        if (i) t[len++] = ' ';
        memcpy(t + len, w, wl);
        len += wl;
    }
    t[len] = 0;
    return t;
}

/* A synthetic 30k-entry vocab.txt in a temporary file: the special tokens,
 * ASCII characters, the bench's words and ## pieces, then filler. Returns
 * the loaded vocab (the file is removed), NULL with err on failure. */
static tok_vocab *synthetic_vocab(char *err, size_t errlen) {
    char path[] = "/tmp/finsent-bench-vocab.XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        err_set(err, errlen, "mkstemp: cannot create a temporary vocab");
        return NULL;
    }
    FILE *f = fdopen(fd, "w");
    int n = 0;
    fputs("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n", f);
    n += 5;
    for (int ch = 33; ch < 127; ch++, n += 2) fprintf(f, "%c\n##%c\n", ch, ch);
    for (int i = 0; i < N_WORDS; i++, n++) fprintf(f, "%s\n", words[i]);
    for (; n < 30000; n++) fprintf(f, "w%05d\n", n);
    fclose(f);
    tok_vocab *v = tok_vocab_load(path, err, errlen);
    unlink(path);
    return v;
}

/* Tokenizer MB/s on one core over texts like the length mix's. */
static double tokenizer_mbps(const cls_model *m, const char *model_dir, double seconds) {
    char err[512];
    tok_vocab *v;
    if (model_dir) {
        char *p = xasprintf("%s/vocab.txt", model_dir);
        v = tok_vocab_load(p, err, sizeof err);
        free(p);
    } else {
        v = synthetic_vocab(err, sizeof err);
    }
    if (!v) return 0;
    rng_pcg s;
    rng_seed(&s, 99, 0);
    enum { N_TEXTS = 512 };
    char *texts[N_TEXTS];
    for (int i = 0; i < N_TEXTS; i++) texts[i] = make_text(&s, 6 + (int)rng_below(&s, 40));
    tokenizer *t = tok_new(v, m->do_lower_case);
    double mbps = tok_bench_mbps(t, (const char **)texts, N_TEXTS, seconds);
    tok_free(t);
    for (int i = 0; i < N_TEXTS; i++) free(texts[i]);
    tok_vocab_free(v);
    return mbps;
}

/* CPU seconds this process has used, all threads, user and system. */
static double cpu_seconds(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + (double)u.ru_stime.tv_sec + 1e-6 * (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

/* Peak resident set size of this process, MB. */
static double max_rss_mb(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_maxrss / 1024.0;
}

typedef struct seqs {
    int n;
    int32_t **ids;
    int *lens;
} seqs;

static void seqs_free(seqs *q) {
    for (int i = 0; i < q->n; i++) free(q->ids[i]);
    free(q->ids);
    free(q->lens);
}

/* Reads token ids, one JSON object with an "ids" array per line, each id in
 * 0..V-1 and 1..max_len of them. Returns 0, or -1 with err naming the line. */
static int read_ids(const char *path, int V, int max_len, seqs *out, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) {
        return err_set(err, errlen, "%s: %s", path, strerror(errno));
    }
    memset(out, 0, sizeof *out);
    char *line = NULL;
    size_t cap = 0, room = 0;
    ssize_t len;
    int lineno = 0, rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (jsonl_blank(line, (size_t)len)) continue;
        cJSON *j = cJSON_Parse(line);
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "ids");
        int n = cJSON_GetArraySize(a);
        if (!cJSON_IsArray(a) || n < 1 || n > max_len) {
            rc = err_set(err, errlen, "%s:%d: expected {\"ids\": [...]} with 1..%d ids", path, lineno, max_len);
        } else {
            if ((size_t)out->n == room) {
                room = room ? 2 * room : 256;
                out->ids = xrealloc(out->ids, sizeof *out->ids * room);
                out->lens = xrealloc(out->lens, sizeof *out->lens * room);
            }
            int32_t *v = xmalloc(sizeof *v * (size_t)n);
            for (int t = 0; t < n && rc == 0; t++) {
                const cJSON *x = cJSON_GetArrayItem(a, t);
                if (!cJSON_IsNumber(x) || x->valuedouble < 0 || x->valuedouble >= V) {
                    rc = err_set(err, errlen, "%s:%d: id %d is not a token id in 0..%d", path, lineno, t, V - 1);
                } else {
                    v[t] = (int32_t)x->valuedouble;
                }
            }
            out->ids[out->n] = v;
            out->lens[out->n++] = n;
        }
        cJSON_Delete(j);
    }
    free(line);
    fclose(f);
    if (rc == 0 && out->n == 0) {
        rc = err_set(err, errlen, "%s: no sequences", path);
    }
    if (rc) seqs_free(out);
    return rc;
}

static int by_len(const void *a, const void *b, void *lens) {
    int x = *(const int *)a, y = *(const int *)b, lx = ((int *)lens)[x], ly = ((int *)lens)[y];
    return lx != ly ? lx - ly : x - y;
}

typedef struct run_opts {
    int threads, budget, batch, json;
    double seconds;
    const char *quantize;
} run_opts;

/* --ids: q sorted by length in batches of o->batch, in whole passes until
 * o->seconds have gone, after one pass to warm up. */
static int run_ids(const cls_model *m, const seqs *q, const run_opts *o) {
    int *order = xmalloc(sizeof *order * (size_t)q->n), max_len = 1, nb = (q->n + o->batch - 1) / o->batch;
    for (int i = 0; i < q->n; i++) {
        order[i] = i;
        max_len = q->lens[i] > max_len ? q->lens[i] : max_len;
    }
    qsort_r(order, (size_t)q->n, sizeof *order, by_len, q->lens);
    const int32_t **ids = xmalloc(sizeof *ids * (size_t)q->n);
    int *lens = xmalloc(sizeof *lens * (size_t)q->n);
    for (int i = 0; i < q->n; i++) {
        ids[i] = q->ids[order[i]];
        lens[i] = q->lens[order[i]];
    }
    int budget = o->batch * max_len > o->budget ? o->batch * max_len : o->budget;
    batcher *b = batch_new(m, budget, max_len, 1);
    float *logits = xmalloc(sizeof(float) * (size_t)o->batch * (size_t)m->n_out);
    char err[256];
    batch_stats st = {0};
    for (int k = 0; k < nb; k++) {
        int first = k * o->batch, n = q->n - first < o->batch ? q->n - first : o->batch;
        batch_run(b, ids + first, lens + first, n, logits, NULL, err, sizeof err);
    }
    double t0 = bench_now(), t = 0, cpu0 = cpu_seconds();
    do { /* whole passes over the batches, so that every length counts alike */
        for (int k = 0; k < nb; k++) {
            int first = k * o->batch, n = q->n - first < o->batch ? q->n - first : o->batch;
            batch_run(b, ids + first, lens + first, n, logits, &st, err, sizeof err);
        }
        t = bench_now() - t0;
    } while (t < o->seconds);
    double seq_s = (double)st.sequences / t, tok_s = (double)st.tokens / t, cpu = cpu_seconds() - cpu0;
    if (o->json)
        printf("{\"benchmark\":\"classify\",\"form\":\"ids\",\"hidden\":%d,\"layers\":%d,\"threads\":%d,"
               "\"quantize\":\"%s\",\"kernels\":\"%s\",\"batch\":%d,\"sequences\":%llu,\"seconds\":%.3f,"
               "\"sequences_per_s\":%.2f,\"tokens_per_s\":%.1f,\"encoder_gflops\":%.2f,\"cpu_seconds\":%.3f,"
               "\"sequences_per_cpu_s\":%.2f,\"max_rss_mb\":%.1f}\n",
               m->cfg.hidden_size, m->cfg.num_layers, o->threads, o->quantize, kern_get()->name, o->batch,
               (unsigned long long)st.sequences, t, seq_s, tok_s, st.flops / t * 1e-9, cpu, (double)st.sequences / cpu,
               max_rss_mb());
    else
        printf("classify bench (--ids, %d sequences in batches of %d): hidden %d, layers %d; %d threads, %s, "
               "kernels %s\n  sequences/s %10.2f\n  tokens/s    %10.1f\n  GFLOP/s     %10.2f\n"
               "  sequences per CPU second %.2f\n  peak RSS    %10.1f MB\n",
               q->n, o->batch, m->cfg.hidden_size, m->cfg.num_layers, o->threads, o->quantize, kern_get()->name, seq_s,
               tok_s, st.flops / t * 1e-9, (double)st.sequences / cpu, max_rss_mb());
    batch_free(b);
    free(logits);
    free(ids);
    free(lens);
    free(order);
    return 0;
}

/* The length mix, against the same-run sgemm rate. */
static int run_mix(const cls_model *m, const char *model_dir, const run_opts *o) {
    int threads = o->threads, budget = o->budget, json = o->json;
    double seconds = o->seconds;
    int C = m->cfg.hidden_size, I = m->cfg.intermediate_size, V = m->cfg.vocab_size;
    int max_len = MAX_LEN < m->cfg.max_position ? MAX_LEN : m->cfg.max_position;

    /* the length mix, random ids past the special tokens */
    rng_pcg rs;
    rng_seed(&rs, 12345, 0);
    int *lens = xmalloc(sizeof *lens * N_SEQ);
    int32_t **ids = xmalloc(sizeof *ids * N_SEQ);
    for (int i = 0; i < N_SEQ; i++) {
        lens[i] = mix_len(&rs, max_len);
        ids[i] = xmalloc(sizeof(int32_t) * (size_t)lens[i]);
        for (int t = 0; t < lens[i]; t++) ids[i][t] = (int32_t)(5 + rng_below(&rs, (uint32_t)(V > 5 ? V - 5 : 1)));
    }
    batcher *b = batch_new(m, budget, max_len, 256);
    float *logits = xmalloc(sizeof(float) * CHUNK * (size_t)m->n_out);
    char err[256];
    batch_stats warm = {0}, st = {0};
    for (int i = 0; i < N_SEQ; i += CHUNK)
        batch_run(b, (const int32_t *const *)ids + i, lens + i, CHUNK, logits, &warm, err, sizeof err);
    int M = (int)(warm.tokens / warm.forwards);

    int K = C > I ? C : I, N = 3 * C > I ? 3 * C : I;
    float *A = xmalloc(sizeof(float) * (size_t)M * K), *W = xmalloc(sizeof(float) * (size_t)N * K),
          *O = xmalloc(sizeof(float) * (size_t)M * N);
    for (size_t i = 0; i < (size_t)M * K; i++) A[i] = (float)rng_below(&rs, 1000) * 1e-3f - 0.5f;
    for (size_t i = 0; i < (size_t)N * K; i++) W[i] = (float)rng_below(&rs, 1000) * 1e-3f - 0.5f;
    double layer_flops = 2.0 * M * (3.0 * C * C + (double)C * C + 2.0 * C * I);
    sgemm_layer(M, C, I, A, W, O);

    double t_enc = 0, t_gemm = 0, gemm_flops = 0, slice = seconds / (2 * ROUNDS);
    int next = 0;
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = bench_now(), t1;
        do {
            batch_run(b, (const int32_t *const *)ids + next, lens + next, CHUNK, logits, &st, err, sizeof err);
            next = (next + CHUNK) % N_SEQ;
            t1 = bench_now();
        } while (t1 - t0 < slice);
        t_enc += t1 - t0;
        openblas_set_num_threads(threads); /* the reference: OpenBLAS's own threads */
        t0 = bench_now();
        do {
            sgemm_layer(M, C, I, A, W, O);
            gemm_flops += layer_flops;
            t1 = bench_now();
        } while (t1 - t0 < slice);
        t_gemm += t1 - t0;
        openblas_set_num_threads(1);
    }
    double enc_gf = st.flops / t_enc * 1e-9, gemm_gf = gemm_flops / t_gemm * 1e-9;
    double seq_s = (double)st.sequences / t_enc, tok_s = (double)st.tokens / t_enc;
    double pad = batch_padding_share(&st);
    double tok_mbps = tokenizer_mbps(m, model_dir, seconds / 8);
    double padded_alt = st.padded_rows ? (double)(st.padded_rows - st.tokens) / (double)st.padded_rows : 0;
    if (json) {
        printf("{\"benchmark\":\"classify\",\"hidden\":%d,\"layers\":%d,\"heads\":%d,\"intermediate\":%d,\"vocab\":%d,"
               "\"threads\":%d,\"token_budget\":%d,\"sequences\":%llu,\"tokens\":%llu,\"forwards\":%llu,"
               "\"seconds_encoder\":%.3f,\"seconds_sgemm\":%.3f,\"sequences_per_s\":%.1f,\"tokens_per_s\":%.1f,"
               "\"encoder_gflops\":%.2f,\"sgemm_gflops\":%.2f,\"sgemm_m\":%d,\"ratio\":%.4f,"
               "\"padding_share\":%.4f,\"padded_batch_padding_share\":%.4f,\"tokenizer_mb_s\":%.2f,"
               "\"quantize\":\"%s\",\"kernels\":\"%s\",\"max_rss_mb\":%.1f}\n",
               C, m->cfg.num_layers, m->cfg.num_heads, I, V, threads, budget, (unsigned long long)st.sequences,
               (unsigned long long)st.tokens, (unsigned long long)st.forwards, t_enc, t_gemm, seq_s, tok_s, enc_gf,
               gemm_gf, M, enc_gf / gemm_gf, pad, padded_alt, tok_mbps, o->quantize, kern_get()->name, max_rss_mb());
    } else {
        printf("classify bench: hidden %d, layers %d, heads %d, intermediate %d, vocab %d; %d threads, "
               "%d-token budget, %s, kernels %s\n",
               C, m->cfg.num_layers, m->cfg.num_heads, I, V, threads, budget, o->quantize, kern_get()->name);
        printf("  sequences/s           %10.1f\n", seq_s);
        printf("  tokens/s              %10.1f\n", tok_s);
        printf("  encoder GFLOP/s       %10.2f\n", enc_gf);
        printf("  sgemm GFLOP/s         %10.2f   (same threads; M=%d, the layer's N,K)\n", gemm_gf, M);
        printf("  ratio                 %10.3f\n", enc_gf / gemm_gf);
        printf("  padding computed      %9.1f%%   (a padded batch of the same forwards: %.1f%%)\n", 100 * pad,
               100 * padded_alt);
        printf("  tokenizer MB/s        %10.2f   (one core)\n", tok_mbps);
        printf("  peak RSS              %10.1f MB\n", max_rss_mb());
    }
    for (int i = 0; i < N_SEQ; i++) free(ids[i]);
    free(ids);
    free(lens);
    free(logits);
    free(A);
    free(W);
    free(O);
    batch_free(b);
    return 0;
}

int bench_classify(int argc, char **argv) {
    static const struct option opts[] = {
        {"model", required_argument, NULL, 'm'},    {"shape", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'},  {"seconds", required_argument, NULL, 'S'},
        {"budget", required_argument, NULL, 'b'},   {"quantize", required_argument, NULL, 'q'},
        {"ids", required_argument, NULL, 'i'},      {"batch", required_argument, NULL, 'B'},
        {"json", no_argument, NULL, 'j'},           {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *model_dir = NULL, *shape = NULL, *ids_path = NULL;
    run_opts o = {.threads = 2, .budget = 4096, .batch = 32, .seconds = 4, .quantize = "none"};
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'm': model_dir = optarg; break;
        case 's': shape = optarg; break;
        case 'i': ids_path = optarg; break;
        case 't':
            o.threads = (int)strtol(optarg, &end, 10);
            if (*end || o.threads < 1 || o.threads > 256)
                return cli_usage_error("bench", "--threads: expected 1..256, got '%s'", optarg);
            break;
        case 'S':
            o.seconds = strtod(optarg, &end);
            if (*end || !(o.seconds > 0 && o.seconds <= 3600))
                return cli_usage_error("bench", "--seconds: expected a number in (0, 3600], got '%s'", optarg);
            break;
        case 'b':
            o.budget = (int)strtol(optarg, &end, 10);
            if (*end || o.budget < MAX_LEN || o.budget > 1 << 20)
                return cli_usage_error("bench", "--budget: expected %d..%d tokens, got '%s'", MAX_LEN, 1 << 20,
                                       optarg);
            break;
        case 'B':
            o.batch = (int)strtol(optarg, &end, 10);
            if (*end || o.batch < 1 || o.batch > 4096)
                return cli_usage_error("bench", "--batch: expected 1..4096, got '%s'", optarg);
            break;
        case 'q':
            if (strcmp(optarg, "none") != 0 && strcmp(optarg, "int8") != 0)
                return cli_usage_error("bench", "--quantize: expected none or int8, got '%s'", optarg);
            o.quantize = optarg;
            break;
        case 'j': o.json = 1; break;
        case 'h': usage(stdout); return 0;
        default: return cli_usage_error("bench", "classify: bad option");
        }
    }
    if (optind < argc) return cli_usage_error("bench", "classify: unexpected argument '%s'", argv[optind]);
    if (!model_dir == !shape) return cli_usage_error("bench", "classify: give exactly one of --model and --shape");

    cls_model *m;
    if (model_dir) {
        char err[512];
        m = cls_model_load(model_dir, NULL, err, sizeof err);
        if (!m) return cli_fail("bench", "%s", err);
    } else {
        int h, l, nh, in;
        char tail;
        if (sscanf(shape, "%d,%d,%d,%d%c", &h, &l, &nh, &in, &tail) != 4 || h < 8 || h > 8192 || l < 1 || l > 64 ||
            nh < 1 || h % nh != 0 || in < 8 || in > 65536)
            return cli_usage_error("bench",
                                   "--shape: expected HIDDEN,LAYERS,HEADS,INTERMEDIATE with HIDDEN a multiple of "
                                   "HEADS, got '%s'",
                                   shape);
        model_config cfg;
        mcfg_init_shape(&cfg, h, l, nh, in, 30000);
        m = cls_model_random(&cfg, 42);
    }
    enc_set_threads(o.threads);
    enc_prepare(m, strcmp(o.quantize, "int8") == 0 ? ENC_INT8 : ENC_FP32);
    int rc;
    if (ids_path) {
        char err[512];
        seqs q = {0};
        int max_len = m->cfg.max_position < 512 ? m->cfg.max_position : 512;
        if (read_ids(ids_path, m->cfg.vocab_size, max_len, &q, err, sizeof err)) {
            cli_fail("bench", "%s", err);
            rc = 2; /* bad input named by --ids, as a bad model */
        } else {
            rc = run_ids(m, &q, &o);
            seqs_free(&q);
        }
    } else {
        rc = run_mix(m, model_dir, &o);
    }
    cls_model_free(m);
    return rc;
}
