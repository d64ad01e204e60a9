/* payload — generic, Slack and PagerDuty alert bodies; see payload.h. */
#include "alerts/payload.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alert_explain.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static char *print_owned(cJSON *root) {
    char *s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!s) abort(); /* cJSON only fails on out of memory */
    char *out = xstrdup(s);
    cJSON_free(s);
    return out;
}

/* A weight with 4 decimals (a float printed as a double shows noise digits). */
static void add_weight(cJSON *o, float w) { cJSON_AddNumberToObject(o, "weight", round((double)w * 1e4) / 1e4); }

/* "words": [{"word","start","end","weight"}, …] of sample i. */
static void add_sample_words(cJSON *o, const alert_explain *x, int i) {
    cJSON *arr = cJSON_AddArrayToObject(o, "words");
    for (int k = 0; k < x->n_words[i]; k++) {
        const ax_word *w = &x->words[i][k];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "word", w->word);
        cJSON_AddNumberToObject(e, "start", w->start);
        cJSON_AddNumberToObject(e, "end", w->end);
        add_weight(e, w->weight);
        cJSON_AddItemToArray(arr, e);
    }
}

/* "why": [{"word","weight","messages"}, …] */
static void add_why(cJSON *root, const alert_explain *x) {
    cJSON *arr = cJSON_AddArrayToObject(root, "why");
    for (int k = 0; k < x->n_why; k++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "word", x->why[k].word);
        add_weight(e, x->why[k].weight);
        cJSON_AddNumberToObject(e, "messages", x->why[k].messages);
        cJSON_AddItemToArray(arr, e);
    }
}

static void add_time(cJSON *o, const char *name, int64_t ms) {
    char buf[40];
    time_format(ms, buf, sizeof buf);
    cJSON_AddStringToObject(o, name, buf);
}

static void add_window(cJSON *o, int64_t start_ms, int64_t end_ms) {
    cJSON *win = cJSON_AddObjectToObject(o, "window");
    add_time(win, "start", start_ms);
    add_time(win, "end", end_ms);
    cJSON_AddNumberToObject(win, "start_ms", (double)start_ms);
    cJSON_AddNumberToObject(win, "end_ms", (double)end_ms);
}

static void add_stats(cJSON *o, const win_stats *c, const rule_eval *e) {
    cJSON *st = cJSON_AddObjectToObject(o, "stats");
    cJSON_AddNumberToObject(st, "count", (double)c->count);
    cJSON_AddNumberToObject(st, "negatives", (double)c->negatives);
    cJSON_AddNumberToObject(st, "neutrals", (double)c->neutrals);
    cJSON_AddNumberToObject(st, "positives", (double)c->positives);
    cJSON_AddNumberToObject(st, "negative_share", e->negative_share);
    cJSON_AddNumberToObject(st, "baseline_share", e->baseline_share);
    cJSON_AddNumberToObject(st, "zscore", e->zscore);
    cJSON_AddNumberToObject(st, "ratio", e->ratio);
    cJSON_AddNumberToObject(st, "score", win_weighted_score(c));
}

char *payload_alert_json(const alert *a) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "version", a->version);
    cJSON_AddStringToObject(root, "id", a->id);
    cJSON_AddStringToObject(root, "status", a->status == ALERT_FIRING ? "firing" : "resolved");
    cJSON_AddStringToObject(root, "rule", a->rule->name);
    cJSON_AddStringToObject(root, "severity", rule_severity_name(a->severity));
    cJSON *key = cJSON_AddObjectToObject(root, "key");
    cJSON_AddStringToObject(key, "name", a->key->name);
    cJSON_AddStringToObject(key, "scope", rule_scope_name(a->key->scope));
    if (a->key->entity) cJSON_AddStringToObject(key, "entity", a->key->entity);
    if (a->key->topic) cJSON_AddStringToObject(key, "topic", a->key->topic);
    add_window(root, a->window_start_ms, a->window_end_ms);
    add_stats(root, &a->counts, &a->stats);
    cJSON *first = cJSON_AddObjectToObject(root, "first");
    add_window(first, a->first_start_ms, a->first_end_ms);
    add_stats(first, &a->first_counts, &a->first_stats);
    cJSON *samples = cJSON_AddArrayToObject(root, "samples");
    for (int i = 0; i < a->n_samples; i++) {
        const win_sample *s = &a->samples[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", s->id);
        if (s->source[0]) cJSON_AddStringToObject(o, "source", s->source);
        add_time(o, "time", s->ts_ms);
        cJSON_AddStringToObject(o, "text", s->text);
        cJSON_AddNumberToObject(o, "score", s->p_negative);
        if (a->explain) add_sample_words(o, a->explain, i);
        cJSON_AddItemToArray(samples, o);
    }
    if (a->explain && a->n_samples > 0) add_why(root, a->explain);
    return print_owned(root);
}

/* Fields of a generic body that the views need; strings point into root. */
typedef struct gen_view {
    cJSON *root;
    const char *id, *status, *rule, *severity, *key, *start, *end;
    double count, negatives, share, baseline;
    cJSON *samples, *stats, *why; /* why: NULL when absent */
    char why_list[AX_WHY_MAX * (AX_WORD_MAX + 2)]; /* "probe, junk, …", "" when none */
    const char *first_start, *first_end; /* NULL in bodies from before "first" */
    double first_count, first_negatives, first_share;
} gen_view;

static const char *str_at(const cJSON *o, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num_at(const cJSON *o, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? v->valuedouble : 0.0;
}

/* The "word" strings of a words or why array joined by ", " into buf. */
static void word_list(const cJSON *arr, char *buf, size_t n) {
    size_t o = 0;
    buf[0] = '\0';
    const cJSON *e;
    cJSON_ArrayForEach(e, arr) {
        const char *w = str_at(e, "word");
        if (w && o < n) o += (size_t)snprintf(buf + o, n - o, "%s%s", o ? ", " : "", w);
    }
}

static int gen_parse(const char *generic, gen_view *g) {
    memset(g, 0, sizeof *g);
    g->root = cJSON_Parse(generic);
    if (!g->root) return -1;
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(g->root, "key");
    const cJSON *win = cJSON_GetObjectItemCaseSensitive(g->root, "window");
    g->stats = cJSON_GetObjectItemCaseSensitive(g->root, "stats");
    g->samples = cJSON_GetObjectItemCaseSensitive(g->root, "samples");
    g->why = cJSON_GetObjectItemCaseSensitive(g->root, "why");
    g->id = str_at(g->root, "id");
    g->status = str_at(g->root, "status");
    g->rule = str_at(g->root, "rule");
    g->severity = str_at(g->root, "severity");
    g->key = str_at(key, "name");
    g->start = str_at(win, "start");
    g->end = str_at(win, "end");
    if (!g->id || !g->status || !g->rule || !g->severity || !g->key || !g->start || !g->end ||
        !cJSON_IsObject(g->stats)) {
        cJSON_Delete(g->root);
        return -1;
    }
    g->count = num_at(g->stats, "count");
    g->negatives = num_at(g->stats, "negatives");
    g->share = num_at(g->stats, "negative_share");
    g->baseline = num_at(g->stats, "baseline_share");
    word_list(g->why, g->why_list, sizeof g->why_list);
    const cJSON *first = cJSON_GetObjectItemCaseSensitive(g->root, "first");
    const cJSON *fwin = cJSON_GetObjectItemCaseSensitive(first, "window");
    const cJSON *fst = cJSON_GetObjectItemCaseSensitive(first, "stats");
    g->first_start = str_at(fwin, "start");
    g->first_end = str_at(fwin, "end");
    g->first_count = num_at(fst, "count");
    g->first_negatives = num_at(fst, "negatives");
    g->first_share = num_at(fst, "negative_share");
    return 0;
}

static char *summary_of(const gen_view *g) {
    if (strcmp(g->status, "resolved") == 0 && g->first_start)
        return xasprintf("[RESOLVED] %s on %s: negative share back to %.0f%% (%.0f of %.0f), baseline %.0f%% "
                         "(window %s .. %s); fired at %.0f%% (%.0f of %.0f) in window %s .. %s",
                         g->rule, g->key, 100 * g->share, g->negatives, g->count, 100 * g->baseline, g->start, g->end,
                         100 * g->first_share, g->first_negatives, g->first_count, g->first_start, g->first_end);
    if (strcmp(g->status, "resolved") == 0)
        return xasprintf("[RESOLVED] %s on %s: negative share back to %.0f%% (window %s .. %s)", g->rule, g->key,
                         100 * g->share, g->start, g->end);
    return xasprintf("[FIRING:%s] %s on %s: %.0f%% negative (%.0f of %.0f), baseline %.0f%% (window %s .. %s)%s%s",
                     g->severity, g->rule, g->key, 100 * g->share, g->negatives, g->count, 100 * g->baseline,
                     g->start, g->end, g->why_list[0] ? "; why: " : "", g->why_list);
}

char *payload_summary(const char *generic) {
    gen_view g;
    if (gen_parse(generic, &g) < 0) return NULL;
    char *s = summary_of(&g);
    cJSON_Delete(g.root);
    return s;
}

char *payload_mark_words(const char *text, const cJSON *words, const char *open, const char *close) {
    ax_span spans[AX_WORDS_MAX * 4];
    int n = 0;
    const cJSON *w;
    cJSON_ArrayForEach(w, words) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(w, "start"), *b = cJSON_GetObjectItemCaseSensitive(w, "end");
        if (n < (int)(sizeof spans / sizeof spans[0]) && cJSON_IsNumber(a) && cJSON_IsNumber(b))
            spans[n++] = (ax_span){(int32_t)a->valuedouble, (int32_t)b->valuedouble};
    }
    return ax_mark(text, spans, n, open, close);
}

char *payload_slack(const char *generic) {
    gen_view g;
    if (gen_parse(generic, &g) < 0) return NULL;
    char *summary = summary_of(&g);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "text", summary);
    cJSON *blocks = cJSON_AddArrayToObject(root, "blocks");
    cJSON *sec = cJSON_CreateObject();
    cJSON_AddStringToObject(sec, "type", "section");
    cJSON *txt = cJSON_AddObjectToObject(sec, "text");
    cJSON_AddStringToObject(txt, "type", "mrkdwn");
    cJSON_AddStringToObject(txt, "text", summary);
    cJSON_AddItemToArray(blocks, sec);
    const cJSON *s;
    cJSON_ArrayForEach(s, g.samples) {
        const char *text = str_at(s, "text");
        if (!text) continue;
        char *marked = payload_mark_words(text, cJSON_GetObjectItemCaseSensitive(s, "words"), "*", "*");
        char *line = xasprintf("> %s _(%s, p_neg %.2f)_", marked, str_at(s, "time") ? str_at(s, "time") : "",
                               num_at(s, "score"));
        free(marked);
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "type", "section");
        cJSON *bt = cJSON_AddObjectToObject(b, "text");
        cJSON_AddStringToObject(bt, "type", "mrkdwn");
        cJSON_AddStringToObject(bt, "text", line);
        cJSON_AddItemToArray(blocks, b);
        free(line);
    }
    free(summary);
    cJSON_Delete(g.root);
    return print_owned(root);
}

/* PagerDuty custom_details "samples": each sample's text and top words. */
static void add_pd_samples(cJSON *cd, const cJSON *samples) {
    cJSON *arr = cJSON_AddArrayToObject(cd, "samples");
    const cJSON *s;
    cJSON_ArrayForEach(s, samples) {
        char words[AX_WORDS_MAX * (AX_WORD_MAX + 2)];
        word_list(cJSON_GetObjectItemCaseSensitive(s, "words"), words, sizeof words);
        const char *text = str_at(s, "text");
        if (!text) continue;
        char *line = xasprintf("%s (words: %s)", text, words);
        cJSON_AddItemToArray(arr, cJSON_CreateString(line));
        free(line);
    }
}

char *payload_pagerduty(const char *generic, const char *routing_key) {
    gen_view g;
    if (gen_parse(generic, &g) < 0) return NULL;
    int firing = strcmp(g.status, "firing") == 0;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "routing_key", routing_key ? routing_key : "");
    cJSON_AddStringToObject(root, "event_action", firing ? "trigger" : "resolve");
    cJSON_AddStringToObject(root, "dedup_key", g.id);
    /* a resolve needs no payload; it carries one so that the incident's log
     * shows the window that cleared it */
    char *summary = summary_of(&g);
    cJSON *p = cJSON_AddObjectToObject(root, "payload");
    cJSON_AddStringToObject(p, "summary", summary);
    cJSON_AddStringToObject(p, "severity", g.severity); /* info|warning|critical are PagerDuty severities */
    cJSON_AddStringToObject(p, "source", "finsent");
    cJSON_AddStringToObject(p, "timestamp", g.end);
    cJSON_AddStringToObject(p, "component", g.key);
    cJSON_AddStringToObject(p, "group", g.rule);
    cJSON *details = cJSON_Duplicate(g.stats, 1);
    const cJSON *first = cJSON_GetObjectItemCaseSensitive(g.root, "first");
    if (first) cJSON_AddItemToObject(details, "first", cJSON_Duplicate(first, 1));
    if (firing && g.why_list[0]) cJSON_AddStringToObject(details, "why", g.why_list);
    if (firing && g.why_list[0]) add_pd_samples(details, g.samples);
    cJSON_AddItemToObject(p, "custom_details", details);
    free(summary);
    cJSON_Delete(g.root);
    return print_owned(root);
}
