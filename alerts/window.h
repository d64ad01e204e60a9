/* window — event-time windows per aggregation key, closed by a watermark.
 *
 * Windows are aligned on the epoch: a window of size S starts at every
 * multiple of the advance A (A == S: tumbling; A < S: hopping) and covers
 * [start, start + S): an event at exactly start + S belongs to the next
 * window. Each event is counted under every enabled key scope: global
 * ("*"), its topic ("topic=Earnings"), each entity ("entity=AAPL") and each
 * entity × topic ("entity=AAPL,topic=Earnings"); key names are these strings.
 *
 * Watermark: every source (a partition, a file) reports event times; a
 * source's mark is its largest event time minus the allowed lateness, and
 * the watermark is the minimum over sources that are not idle (no event for
 * idle_timeout_ms of processing time, and not held by lag: win_hold).
 * When every source is idle it is the
 * maximum, so the last windows close when input stops. It never goes back.
 * A window closes when the watermark reaches its end; closed windows are
 * emitted once per window end, sorted by key name, so the same input in the
 * same order gives the same emissions (a replay fires what a live run did).
 *
 * An event that arrives for windows already closed is late: the open ones
 * still count it, the late counter goes up and the late callback gets it
 * (the pipeline dead-letters it); none is dropped silently.
 *
 * Samples: per window, the top_k events labelled negative with the highest
 * p_negative (ties: earlier, then smaller id), text cut to
 * WIN_SAMPLE_TEXT_MAX bytes. The hot path does not allocate per event: keys are interned, window
 * state lives in per-window-start hash tables whose memory is recycled. */
#ifndef FINSENT_WINDOW_H
#define FINSENT_WINDOW_H

#include <stdint.h>

#include "util/codec.h"
#include "util/event.h"
#include "util/labelmap.h"

/* Key scopes; a bit set chooses which are aggregated. */
enum win_scope {
    WIN_SCOPE_GLOBAL = 1,
    WIN_SCOPE_TOPIC = 2,
    WIN_SCOPE_ENTITY = 4,
    WIN_SCOPE_ENTITY_TOPIC = 8,
};
#define WIN_SCOPE_ALL 15

#define WIN_TOPK_MAX 8       /* most samples kept per window */
#define WIN_SAMPLE_ID_MAX 96 /* id and source are truncated to fit */
#define WIN_SAMPLE_TEXT_MAX 280 /* bytes of text kept, cut on a UTF-8 boundary, "…" appended */

typedef struct win_config {
    int64_t size_ms;         /* window length, > 0 */
    int64_t advance_ms;      /* hop, 0 < advance <= size; == size for tumbling */
    int64_t lateness_ms;     /* allowed lateness, >= 0 */
    int64_t idle_timeout_ms; /* a source silent this long stops holding the watermark; 0 = never */
    unsigned scopes;         /* bit set of enum win_scope, non-zero */
    int top_k;               /* samples per window, 0..WIN_TOPK_MAX */
    const labelmap *labels;  /* what sentiment labels mean (borrowed); NULL: built-in synonyms */
} win_config;

typedef struct win_key {
    enum win_scope scope;
    const char *entity; /* NULL unless the scope has one */
    const char *topic;  /* NULL unless the scope has one */
    const char *name;   /* canonical key name, see above */
    uint32_t id;        /* dense: 0 .. win_n_keys()-1, in first-seen order */
} win_key;

/* Counts of one window. The confidence-weighted score is the mean of signed
 * label scores: +score for a positive label, -score for a negative one, 0
 * for a neutral one (labels mapped by cfg.labels, util/labelmap.h); it is summed in integer micro-units so the result does not
 * depend on the order events arrived in. */
typedef struct win_stats {
    int64_t count, negatives, neutrals, positives;
    int64_t score_micro; /* sum of signed scores × 1e6, rounded */
} win_stats;

typedef struct win_sample {
    char id[WIN_SAMPLE_ID_MAX];
    char source[WIN_SAMPLE_ID_MAX];
    int64_t ts_ms;
    char text[WIN_SAMPLE_TEXT_MAX + 4];
    float p_negative; /* the ranking score: larger is more negative */
} win_sample;

/* One closed window of one key. Pointers are valid during the callback. */
typedef struct win_result {
    const win_key *key; /* valid for the engine's lifetime */
    int64_t start_ms, end_ms;
    win_stats stats;
    const win_sample *samples; /* most negative first */
    int n_samples;
} win_result;

/* Closed windows of one window end, sorted by key name; n >= 1. */
typedef void (*win_emit_fn)(const win_result *results, int n, void *ud);
/* An event that missed `missed` of its `total` windows because they had closed. */
typedef void (*win_late_fn)(const event *e, int missed, int total, void *ud);

typedef struct win_engine win_engine;

/* Checks a configuration; returns NULL when valid, else a static message
 * naming the bad field. */
const char *win_config_check(const win_config *cfg);

/* Creates an engine; cfg must pass win_config_check (aborts otherwise).
 * emit is required, late may be NULL (late events are then only counted). */
win_engine *win_create(const win_config *cfg, win_emit_fn emit, win_late_fn late, void *ud);
void win_destroy(win_engine *w);

/* Adds a scored event from source `source` (>= 0) at processing time now_ms:
 * advances the watermark (emitting what closes), then counts the event in
 * its open windows. Returns 0, or -1 when cfg.labels maps the sentiment
 * label to none of negative/neutral/positive (the event is then not
 * counted). */
int win_add(win_engine *w, int source, const event *e, int64_t now_ms);

/* As win_add, counting the event only under the key named `only` (one of
 * its keys: see win_key_names); NULL counts it under every key. The
 * watermark and late accounting are as for win_add; an event none of whose
 * keys is `only` is not counted anywhere. Adding an event once per key
 * name gives the same windows as adding it once with win_add. */
int win_add_key(win_engine *w, int source, const event *e, const char *only, int64_t now_ms);

/* The names of the keys an event is counted under with these scopes, in
 * the order win_add counts them; *out is an array of n strings, each and
 * the array to be freed by the caller. Returns n. */
int win_key_names(unsigned scopes, const event *e, char ***out);

/* Reports that `source` has reached event time ts_ms without an event
 * (e.g. a partition's position); may close windows. */
void win_observe(win_engine *w, int source, int64_t ts_ms, int64_t now_ms);

/* Marks a source as held (held 1: it has lag — a Kafka partition with
 * messages not yet read, or read and not yet counted — so it is never
 * idle, whatever idle_timeout says) or not (0: idle_timeout applies again,
 * counted from now_ms). A held source that reported nothing yet holds the
 * watermark until its first event. Can't fail. */
void win_hold(win_engine *w, int source, int held, int64_t now_ms);

/* Re-evaluates idle sources at processing time now_ms; may close windows. */
void win_tick(win_engine *w, int64_t now_ms);

/* Closes and emits every open window (end of a replay). */
void win_flush(win_engine *w);

/* The watermark, INT64_MIN before any event. */
int64_t win_watermark(const win_engine *w);
/* Events that missed at least one window because it had closed. */
int64_t win_late_count(const win_engine *w);
uint32_t win_n_keys(const win_engine *w);
const win_key *win_key_at(const win_engine *w, uint32_t id);

/* Times a checkpoint may hold (epoch ms, about ±36 million years): beyond,
 * arithmetic on them could overflow, so a state with one is refused. */
#define WIN_TIME_MAX ((int64_t)1 << 60)
/* 1 when t is a time a checkpoint may hold. */
static inline int win_time_ok(int64_t t) { return t > -WIN_TIME_MAX && t < WIN_TIME_MAX; }
/* The event time of a source that has reported nothing yet but must hold
 * the watermark back (the pipeline's expected partitions): far below any
 * real time, far above INT64_MIN, so that the marks below it (minus the
 * allowed lateness) do not overflow. */
#define WIN_TS_FLOOR (INT64_MIN / 2)
/* 1 when t is a source's event time or a watermark a checkpoint may hold:
 * INT64_MIN (none yet), a time (win_time_ok), or the floor or a mark
 * below it (WIN_TS_FLOOR minus a lateness under WIN_TIME_MAX): a state
 * saved while a source stood at the floor loads back. */
static inline int win_mark_ok(int64_t t) {
    return t == INT64_MIN || win_time_ok(t) || (t <= WIN_TS_FLOOR && t > WIN_TS_FLOOR - WIN_TIME_MAX);
}
/* 1 when c's counts add up (each part within count, count within 2^40,
 * |score_micro| within count × 2e6): what a checkpoint's counts must be. */
int win_stats_ok(const win_stats *c);

/* Writes the engine's state to o: keys (in id order, so that ids read
 * back the same), sources' marks, the watermark, late count and every
 * open window with its counts and samples. Can't fail. */
void win_save(const win_engine *w, cw *o);
/* Reads what win_save wrote into w, which must be new (same config);
 * sources count as seen at now_ms. Every count, key, window start and
 * string is checked (a corrupt state is refused, never half-believed).
 * Returns 0, or -1 with the failure in in->err; w must then be destroyed. */
int win_load(win_engine *w, cr *in, int64_t now_ms);

/* Negative share (0 when empty) and confidence-weighted score of a window. */
double win_negative_share(const win_stats *s);
double win_weighted_score(const win_stats *s);

#endif
