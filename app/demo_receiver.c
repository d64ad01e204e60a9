/* demo_receiver — prints alerts as a risk analyst would want to read them;
 * see demo_receiver.h. */
#include "app/demo_receiver.h"

#include <cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "alerts/payload.h"
#include "util/xalloc.h"

#define MAX_IDS 1024

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static demo_received g_counts;
static char g_ids[MAX_IDS][40];

static const char *str(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static double num(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* "2026-03-02T10:00:00.000Z" → "03-02 10:00" */
static void short_time(const char *iso, char *out, size_t len) {
    if (strlen(iso) >= 16)
        snprintf(out, len, "%.5s %.5s", iso + 5, iso + 11);
    else
        snprintf(out, len, "%s", iso);
}

/* The bytes of s that fit in cols terminal columns (a CJK character takes
 * two), ending on a character boundary; *cut is 1 when s was longer. */
static int fit_columns(const char *s, int cols, int *cut) {
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    utf8proc_ssize_t n = (utf8proc_ssize_t)strlen(s), i = 0;
    int used = 0;
    while (i < n) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate(p + i, n - i, &c);
        if (k <= 0) break;
        int w = utf8proc_charwidth(c);
        if (used + w > cols) break;
        used += w;
        i += k;
    }
    *cut = i < n;
    return (int)i;
}

static void count_id(const char *id) {
    for (int i = 0; i < g_counts.distinct_ids && i < MAX_IDS; i++)
        if (strcmp(g_ids[i], id) == 0) return;
    if (g_counts.distinct_ids < MAX_IDS) snprintf(g_ids[g_counts.distinct_ids], sizeof g_ids[0], "%s", id);
    g_counts.distinct_ids++;
}

static void on_request(const hs_request *r, void *ud) {
    (void)ud;
    cJSON *a = cJSON_ParseWithLength(r->body ? r->body : "", r->body_len);
    if (!a) return;
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(a, "key");
    const cJSON *win = cJSON_GetObjectItemCaseSensitive(a, "window");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(a, "stats");
    const cJSON *samples = cJSON_GetObjectItemCaseSensitive(a, "samples");
    int firing = strcmp(str(a, "status"), "firing") == 0;
    char t0[16], t1[16];
    short_time(str(win, "start"), t0, sizeof t0);
    short_time(str(win, "end"), t1, sizeof t1);

    pthread_mutex_lock(&g_lock);
    if (firing)
        g_counts.firing++;
    else
        g_counts.resolved++;
    g_counts.signed_ok += r->sig_valid;
    count_id(str(a, "id"));
    flockfile(stdout);
    printf("\n%s %-8s %-22s %s  window %s-%s UTC  (id %.12s, signature %s)\n", firing ? "ALERT" : "CLEAR",
           str(a, "severity"), str(a, "rule"), str(key, "name"), t0, t1 + 6, str(a, "id"),
           r->sig_valid ? "ok" : "BAD");
    if (firing) {
        printf("      %d messages, %d negative (%.0f%% vs baseline %.0f%%), %.1fx the usual negatives\n",
               (int)num(st, "count"), (int)num(st, "negatives"), 100 * num(st, "negative_share"),
               100 * num(st, "baseline_share"), num(st, "ratio"));
    } else { /* the window that cleared it, then the one that fired it */
        const cJSON *first = cJSON_GetObjectItemCaseSensitive(a, "first");
        const cJSON *fw = cJSON_GetObjectItemCaseSensitive(first, "window");
        const cJSON *fs = cJSON_GetObjectItemCaseSensitive(first, "stats");
        char f0[16], f1[16];
        short_time(str(fw, "start"), f0, sizeof f0);
        short_time(str(fw, "end"), f1, sizeof f1);
        printf("      back to %d messages, %d negative (%.0f%% vs baseline %.0f%%); fired %s-%s on %d of %d "
               "negative (%.0f%%)\n",
               (int)num(st, "count"), (int)num(st, "negatives"), 100 * num(st, "negative_share"),
               100 * num(st, "baseline_share"), f0 + 6, f1 + 6, (int)num(fs, "negatives"), (int)num(fs, "count"),
               100 * num(fs, "negative_share"));
    }
    const cJSON *why = cJSON_GetObjectItemCaseSensitive(a, "why"), *w;
    if (cJSON_GetArraySize(why) > 0) {
        printf("      why:");
        int first = 1;
        cJSON_ArrayForEach(w, why) {
            printf("%s %s", first ? "" : ",", str(w, "word"));
            first = 0;
        }
        printf("\n");
    }
    int k = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, samples) {
        if (k++ == 2) break;
        /* the sample's top words in [brackets], cut between characters at 100 columns */
        char *text = payload_mark_words(str(s, "text"), cJSON_GetObjectItemCaseSensitive(s, "words"), "[", "]");
        int cut, nb = fit_columns(text, 100, &cut);
        printf("      \"%.*s%s\"  (%s, p_neg %.2f)\n", nb, text, cut ? "…" : "", str(s, "source"), num(s, "score"));
        free(text);
    }
    fflush(stdout);
    funlockfile(stdout);
    pthread_mutex_unlock(&g_lock);
    cJSON_Delete(a);
}

http_server *demo_receiver_start(const char *secret) {
    http_server *s = hs_start(secret);
    if (s) hs_set_on_request(s, on_request, NULL);
    return s;
}

demo_received demo_receiver_counts(void) {
    pthread_mutex_lock(&g_lock);
    demo_received c = g_counts;
    pthread_mutex_unlock(&g_lock);
    return c;
}
