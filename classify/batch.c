/* batch — packing sequences into token-budgeted forwards; see batch.h. */
#include "classify/batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/errmsg.h"
#include "util/xalloc.h"

struct batcher {
    const cls_model *m;
    enc_ws *ws;
    int token_budget, max_len, sort_window;
    int32_t *packed; /* (token_budget) */
    int *plens;      /* (token_budget) lengths of the packed sequences */
    int *order;      /* (sort_window) */
    float *plogits;  /* (token_budget, K) */
};

batcher *batch_new(const cls_model *m, int token_budget, int max_len, int sort_window) {
    batcher *b = xcalloc(1, sizeof *b);
    b->m = m;
    b->max_len = max_len < m->cfg.max_position ? max_len : m->cfg.max_position;
    b->token_budget = token_budget < b->max_len ? b->max_len : token_budget;
    b->sort_window = sort_window < 1 ? 1 : sort_window;
    b->ws = enc_ws_new(m, b->token_budget, b->max_len);
    b->packed = xmalloc(sizeof *b->packed * (size_t)b->token_budget);
    b->plens = xmalloc(sizeof *b->plens * (size_t)b->token_budget);
    b->order = xmalloc(sizeof *b->order * (size_t)b->sort_window);
    b->plogits = xmalloc(sizeof(float) * (size_t)b->token_budget * (size_t)m->n_out);
    return b;
}

void batch_free(batcher *b) {
    if (!b) return;
    enc_ws_free(b->ws);
    free(b->packed);
    free(b->plens);
    free(b->order);
    free(b->plogits);
    free(b);
}

int batch_max_len(const batcher *b) { return b->max_len; }

double batch_padding_share(const batch_stats *s) {
    if (!s->computed_tokens) return 0.0;
    return (double)(s->computed_tokens - s->tokens) / (double)s->computed_tokens;
}

/* Sorts order[0..n) by length, ties by index: insertion sort, since
 * windows are small and often nearly sorted. */
static void sort_by_len(int *order, int n, const int *lens) {
    for (int i = 1; i < n; i++) {
        int v = order[i], j = i - 1;
        while (j >= 0 && (lens[order[j]] > lens[v] || (lens[order[j]] == lens[v] && order[j] > v))) {
            order[j + 1] = order[j];
            j--;
        }
        order[j + 1] = v;
    }
}

int batch_run(batcher *b, const int32_t *const *ids, const int *lens, int n, float *logits, batch_stats *stats,
              char *err, size_t errlen) {
    const cls_model *m = b->m;
    int V = m->cfg.vocab_size, K = m->n_out;
    for (int i = 0; i < n; i++) {
        if (lens[i] < 1 || lens[i] > b->max_len) {
            return err_set(err, errlen, "sequence %d: length %d outside 1..%d", i, lens[i], b->max_len);
        }
        for (int t = 0; t < lens[i]; t++)
            if (ids[i][t] < 0 || ids[i][t] >= V) {
                return err_set(err, errlen, "sequence %d: token id %d outside the vocabulary (0..%d)", i, ids[i][t],
                               V - 1);
            }
    }
    for (int w0 = 0; w0 < n; w0 += b->sort_window) {
        int wn = n - w0 < b->sort_window ? n - w0 : b->sort_window;
        for (int i = 0; i < wn; i++) b->order[i] = w0 + i;
        sort_by_len(b->order, wn, lens);
        for (int i = 0; i < wn;) {
            int ns = 0, T = 0, first = i;
            while (i < wn && T + lens[b->order[i]] <= b->token_budget) {
                int s = b->order[i++];
                memcpy(b->packed + T, ids[s], sizeof(int32_t) * (size_t)lens[s]);
                b->plens[ns++] = lens[s];
                T += lens[s];
            }
            uint64_t rows = enc_ws_rows(b->ws);
            enc_forward(m, b->ws, b->packed, b->plens, ns, b->plogits);
            rows = enc_ws_rows(b->ws) - rows;
            for (int k = 0; k < ns; k++)
                memcpy(logits + (size_t)b->order[first + k] * K, b->plogits + (size_t)k * K, sizeof(float) * (size_t)K);
            if (stats) {
                int longest = 0;
                uint64_t real = 0;
                for (int k = 0; k < ns; k++) {
                    int len = lens[b->order[first + k]]; /* the caller's lengths, not the packed copy */
                    real += (uint64_t)len;
                    if (len > longest) longest = len;
                }
                stats->sequences += (uint64_t)ns;
                stats->tokens += real;
                stats->computed_tokens += rows; /* as the encoder counted them */
                stats->forwards++;
                stats->padded_rows += (uint64_t)ns * (uint64_t)longest;
                stats->flops += enc_flops(m, b->plens, ns);
            }
        }
    }
    return 0;
}
