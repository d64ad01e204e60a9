/* Unit tests for the stream state's checkpoints: util/codec, win_save /
 * win_load, bl_save / bl_load, alerts_save / alerts_load, and win_hold.
 *
 * The central check: a stream cut anywhere — the first part into one
 * engine, saved, loaded into a new engine, the rest into that — emits
 * exactly what one engine emits for the whole stream (every window, every
 * alert transition with its figures, bit for bit). And a state cut short
 * at any byte, or with any byte changed, is refused or read without a
 * crash, never half-believed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alerts/alerts.h"
#include "util/codec.h"
#include "util/log.h"
#include "util/xalloc.h"

/* ---- codec ---- */

static void test_codec_round_trip(void **state) {
    (void)state;
    cw w;
    cw_init(&w);
    cw_u8(&w, 0xAB);
    cw_u32(&w, 0xDEADBEEF);
    cw_u64(&w, 0x0123456789ABCDEFull);
    cw_i64(&w, -42);
    cw_f64(&w, -0.1);
    cw_f32(&w, 3.5f);
    cw_str(&w, "héllo");
    cw_str(&w, NULL);
    cw_str(&w, "");
    size_t at = w.len;
    cw_u32(&w, 0);
    cw_patch_u32(&w, at, 7);
    cr r;
    cr_init(&r, w.buf, w.len);
    assert_int_equal(cr_u8(&r), 0xAB);
    assert_int_equal(cr_u32(&r), 0xDEADBEEF);
    assert_true(cr_u64(&r) == 0x0123456789ABCDEFull);
    assert_true(cr_i64(&r) == -42);
    double d = cr_f64(&r);
    assert_memory_equal(&d, &(double){-0.1}, sizeof d);
    assert_true(cr_f32(&r) == 3.5f);
    char *s = cr_str(&r, 100);
    assert_string_equal(s, "héllo");
    free(s);
    assert_null(cr_str(&r, 100));
    assert_true(cr_ok(&r));
    char buf[4];
    assert_int_equal(cr_strbuf(&r, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    assert_int_equal(cr_u32(&r), 7);
    assert_true(cr_ok(&r));
    assert_int_equal(cr_left(&r), 0);
    /* past the end: a failure, zeros, and it sticks */
    assert_int_equal(cr_u32(&r), 0);
    assert_false(cr_ok(&r));
    assert_string_equal(r.err, "truncated");
    cw_free(&w);
}

static void test_codec_guards(void **state) {
    (void)state;
    cw w;
    cw_init(&w);
    cw_str(&w, "toolong");
    cw_u32(&w, 1000000); /* a count of 1,000,000 items with 12 bytes left */
    cw_u64(&w, 1);
    cr r;
    cr_init(&r, w.buf, w.len);
    char buf[4];
    assert_int_equal(cr_strbuf(&r, buf, sizeof buf), -1);
    assert_string_equal(r.err, "string too long");
    cr_init(&r, w.buf, w.len);
    assert_null(cr_str(&r, 3));
    assert_false(cr_ok(&r));
    cr_init(&r, w.buf + 11, w.len - 11);
    assert_int_equal(cr_count(&r, 5000000, 1), 0);
    assert_string_equal(r.err, "count out of range");
    cr_init(&r, w.buf + 11, w.len - 11);
    assert_int_equal(cr_count(&r, 10, 0), 0);
    assert_false(cr_ok(&r));
    cw_free(&w);
}

/* ---- scratch outboxes: DIR/N.outbox ---- */

static char *scratch_dir(void) {
    char *d = xstrdup("/tmp/finsent-state-XXXXXX");
    assert_non_null(mkdtemp(d));
    return d;
}

static char *scratch_outbox(const char *dir, int n) { return xasprintf("%s/%d.outbox", dir, n); }

static void scratch_remove(char *dir) {
    for (int i = 1; i <= 3; i++) {
        char *p = scratch_outbox(dir, i);
        unlink(p);
        free(p);
    }
    rmdir(dir);
    free(dir);
}

/* ---- a deterministic stream ---- */

#define N_ENT 4
static char *ents[N_ENT] = {"AAA", "BBB", "CCC", "DDD"};

typedef struct stream {
    event *v;
    char (*ids)[24];
    int n;
} stream;

/* Events over `seconds` seconds: each second 2-4 events per entity, some
 * negative; entity AAA all negative in seconds 40-44 and 90-99 (spikes
 * that fire, repeat and resolve). Event time is in order per source
 * (source = entity index % 2), slightly shuffled across sources. */
static stream make_stream(int seconds) {
    stream s = {0};
    s.v = xcalloc((size_t)seconds * N_ENT * 4, sizeof *s.v);
    s.ids = xcalloc((size_t)seconds * N_ENT * 4, sizeof *s.ids);
    uint32_t x = 12345;
    for (int sec = 0; sec < seconds; sec++)
        for (int k = 0; k < N_ENT; k++) {
            x = x * 1664525u + 1013904223u;
            int m = 2 + (int)(x >> 30);
            for (int j = 0; j < m; j++) {
                x = x * 1664525u + 1013904223u;
                int spike = k == 0 && ((sec >= 40 && sec < 45) || (sec >= 90 && sec < 100));
                int neg = spike || (x >> 28) < 2;
                event *e = &s.v[s.n];
                snprintf(s.ids[s.n], sizeof s.ids[s.n], "e%05d", s.n);
                e->id = s.ids[s.n];
                e->text = s.ids[s.n];
                e->source = "wire";
                e->ts_ms = 1000000 + (int64_t)sec * 1000 + (int64_t)k * 100 + j * 10;
                snprintf(e->sentiment.label, sizeof e->sentiment.label, "%s",
                         neg ? "negative" : (x >> 29) & 1 ? "neutral" : "positive");
                e->sentiment.score = 0.5f + (float)((x >> 8) & 0xFF) / 512.0f;
                e->p_negative = neg ? e->sentiment.score : 0.1f;
                snprintf(e->topic.label, sizeof e->topic.label, "%s", k < 2 ? "Earnings" : "Macro");
                e->entities = &ents[k];
                e->n_entities = 1;
                s.n++;
            }
        }
    return s;
}

static void stream_free(stream *s) {
    free(s->v);
    free(s->ids);
}

/* ---- what engines emit, as text ---- */

typedef struct log_t {
    char *buf;
    size_t len, cap;
} log_t;

static void log_add(log_t *l, const char *fmt, ...) {
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (l->len + (size_t)n + 1 > l->cap) {
        l->cap = (l->cap + (size_t)n + 1) * 2;
        l->buf = xrealloc(l->buf, l->cap);
    }
    memcpy(l->buf + l->len, line, (size_t)n + 1);
    l->len += (size_t)n;
}

static void log_window(const win_result *r, const bl_state *b, int ready, void *ud) {
    log_add(ud, "W %s %lld %lld %lld %lld %lld | bl %lld %a %a %d", r->key->name, (long long)r->start_ms,
            (long long)r->stats.count, (long long)r->stats.negatives, (long long)r->stats.positives,
            (long long)r->stats.score_micro, (long long)b->n, b->share_mean, b->share_var, ready);
    for (int i = 0; i < r->n_samples; i++) log_add(ud, " %s", r->samples[i].id);
    log_add(ud, "\n");
}

static void log_alert(const alert *a, void *ud) {
    log_add(ud, "A %s %s %s %lld %lld %lld %a %a %a %a", a->id, a->status == ALERT_FIRING ? "firing" : "resolved",
            a->key->name, (long long)a->window_start_ms, (long long)a->counts.count, (long long)a->counts.negatives,
            a->stats.negative_share, a->stats.baseline_share, a->stats.zscore, a->stats.ratio);
    for (int i = 0; i < a->n_samples; i++) log_add(ud, " %s", a->samples[i].id);
    log_add(ud, "\n");
}

static const alert_rule *rules(void) {
    static alert_rule r[2];
    r[0] = (alert_rule){.name = "spike", .scope = WIN_SCOPE_ENTITY, .min_count = 3, .min_negatives = 3,
                        .zscore = 2, .severity = ALERT_CRITICAL, .repeat_interval_ms = 3000, .resolve_after = 2};
    r[1] = (alert_rule){.name = "topic", .scope = WIN_SCOPE_TOPIC, .min_count = 3, .min_negatives = 4,
                        .min_negative_share = 0.4, .severity = ALERT_WARNING, .resolve_after = 1};
    return r;
}

static alerts *engine(const char *outbox, log_t *l, alerts_observer *obs, int64_t advance) {
    *obs = (alerts_observer){log_window, log_alert, l};
    alerts_options o = {.window = {.size_ms = 2000, .advance_ms = advance, .lateness_ms = 500, .scopes = WIN_SCOPE_ENTITY | WIN_SCOPE_TOPIC, .top_k = 3},
                        .baseline = {.alpha = 0.3, .warmup = 3, .min_stddev = 0.05, .robust_k = 3},
                        .rules = rules(),
                        .n_rules = 2,
                        .outbox_path = outbox,
                        .observer = obs};
    char err[256];
    alerts *a = alerts_create(&o, err, sizeof err);
    assert_non_null(a);
    return a;
}

static void feed(alerts *a, const stream *s, int from, int to) {
    for (int i = from; i < to; i++) assert_int_equal(alerts_add(a, i % 2, &s->v[i], 0), 0);
}

/* Everything one engine emits for the whole stream, against the same
 * stream cut at `cut` and carried over by a checkpoint. */
static void check_cut(const stream *s, int cut, int64_t advance, const char *ob1, const char *ob2, const char *ob3,
                      const char *whole) {
    log_t l = {0};
    alerts_observer obs;
    alerts *a = engine(ob2, &l, &obs, advance);
    feed(a, s, 0, cut);
    cw w;
    cw_init(&w);
    alerts_save(a, &w);
    alerts_destroy(a, 0);
    alerts *b = engine(ob3, &l, &obs, advance);
    cr r;
    cr_init(&r, w.buf, w.len);
    char err[256];
    assert_int_equal(alerts_load(b, &r, 0, err, sizeof err), 0);
    assert_int_equal(cr_left(&r), 0);
    feed(b, s, cut, s->n);
    alerts_flush(b);
    alerts_destroy(b, 0);
    if (strcmp(l.buf, whole) != 0) fail_msg("cut at event %d: the emissions differ", cut);
    cw_free(&w);
    free(l.buf);
    unlink(ob2);
    unlink(ob3);
    (void)ob1;
}

static void cut_everywhere(int64_t advance) {
    char *dir = scratch_dir();
    char *ob1 = scratch_outbox(dir, 1), *ob2 = scratch_outbox(dir, 2), *ob3 = scratch_outbox(dir, 3);
    stream s = make_stream(140);
    log_t whole = {0};
    alerts_observer obs;
    alerts *a = engine(ob1, &whole, &obs, advance);
    feed(a, &s, 0, s.n);
    alerts_flush(a);
    alerts_metrics m = alerts_get_metrics(a);
    alerts_destroy(a, 0);
    assert_true(m.fired >= 3);    /* the spikes fire ... */
    assert_true(m.resolved >= 3); /* ... and resolve */
    for (int cut = 1; cut < s.n; cut += 37) check_cut(&s, cut, advance, ob1, ob2, ob3, whole.buf);
    free(whole.buf);
    stream_free(&s);
    free(ob1);
    free(ob2);
    free(ob3);
    scratch_remove(dir);
}

static void test_cut_tumbling(void **state) {
    (void)state;
    cut_everywhere(2000);
}

static void test_cut_hopping(void **state) {
    (void)state;
    cut_everywhere(500);
}

/* ---- bad states ---- */

/* A state with open windows, baselines and open alerts. */
static void saved_state(cw *w, const char *outbox) {
    log_t l = {0};
    alerts_observer obs;
    alerts *a = engine(outbox, &l, &obs, 1000);
    stream s = make_stream(95);
    feed(a, &s, 0, s.n);
    assert_true(alerts_get_metrics(a).fired > alerts_get_metrics(a).resolved); /* an alert is open */
    cw_init(w);
    alerts_save(a, w);
    alerts_destroy(a, 0);
    stream_free(&s);
    free(l.buf);
}

static void test_truncated_and_flipped(void **state) {
    (void)state;
    char *dir = scratch_dir();
    char *ob = scratch_outbox(dir, 1), *ob2 = scratch_outbox(dir, 2);
    cw w;
    saved_state(&w, ob);
    log_t l = {0};
    alerts_observer obs;
    alerts *b = engine(ob2, &l, &obs, 1000);
    char err[256];
    /* every proper prefix is refused (cut short anywhere), and the engine is left empty */
    for (size_t n = 0; n < w.len; n += n < 200 ? 1 : 97) {
        cr r;
        cr_init(&r, w.buf, n);
        int rc = alerts_load(b, &r, 0, err, sizeof err);
        if (rc == 0 && cr_left(&r) == 0) fail_msg("a state cut at byte %zu of %zu was accepted", n, w.len);
        if (rc == 0) alerts_reset(b);
    }
    /* any byte changed: refused, or read into a consistent engine; never a crash */
    int refused = 0, tries = 0;
    for (size_t i = 0; i < w.len; i += 13, tries++) {
        unsigned char saved = w.buf[i];
        w.buf[i] ^= 0x5A;
        cr r;
        cr_init(&r, w.buf, w.len);
        if (alerts_load(b, &r, 0, err, sizeof err) != 0) refused++;
        else alerts_reset(b);
        w.buf[i] = saved;
    }
    assert_true(refused > 0);
    /* the intact state still loads after all that */
    cr r;
    cr_init(&r, w.buf, w.len);
    assert_int_equal(alerts_load(b, &r, 0, err, sizeof err), 0);
    alerts_destroy(b, 0);
    cw_free(&w);
    free(l.buf);
    free(ob);
    free(ob2);
    scratch_remove(dir);
    print_message("# %d of %d single-byte changes refused\n", refused, tries);
}

static void test_other_window_settings(void **state) {
    (void)state;
    char *dir = scratch_dir();
    char *ob = scratch_outbox(dir, 1), *ob2 = scratch_outbox(dir, 2);
    cw w;
    saved_state(&w, ob);
    log_t l = {0};
    alerts_observer obs;
    alerts *b = engine(ob2, &l, &obs, 500); /* another advance */
    cr r;
    cr_init(&r, w.buf, w.len);
    char err[256];
    assert_int_equal(alerts_load(b, &r, 0, err, sizeof err), 1);
    assert_non_null(strstr(err, "other windows"));
    assert_int_equal(alerts_get_metrics(b).watermark_ms, INT64_MIN); /* untouched */
    alerts_destroy(b, 0);
    cw_free(&w);
    free(l.buf);
    free(ob);
    free(ob2);
    scratch_remove(dir);
}

/* ---- holding sources ---- */

static int emitted;
static void count_emit(const win_result *r, int n, void *ud) {
    (void)r;
    (void)ud;
    emitted += n;
}

static void test_hold(void **state) {
    (void)state;
    win_config c = {.size_ms = 1000, .advance_ms = 1000, .idle_timeout_ms = 5000, .scopes = WIN_SCOPE_GLOBAL};
    win_engine *w = win_create(&c, count_emit, NULL, NULL);
    event e = {.id = "x", .text = "x", .source = "s"};
    snprintf(e.sentiment.label, sizeof e.sentiment.label, "neutral");
    win_observe(w, 1, 500, 0); /* source 1 is far behind */
    win_hold(w, 1, 1, 0);
    e.ts_ms = 10000;
    win_add(w, 0, &e, 0);
    e.ts_ms = 12000; /* source 0 alone would close [10 s, 11 s) */
    win_add(w, 0, &e, 0);
    emitted = 0;
    win_tick(w, 60000); /* a minute without a word from source 1: held, it is not idle */
    assert_int_equal(emitted, 0);
    assert_true(win_watermark(w) <= 500);
    win_hold(w, 1, 0, 60000); /* caught up: idle_timeout counts from now */
    win_tick(w, 64000);
    assert_int_equal(emitted, 0);
    win_tick(w, 65001);
    assert_int_equal(emitted, 1); /* idle now: source 0's mark closes the window */
    /* a source held before any event holds the watermark at nothing */
    win_hold(w, 2, 1, 65001);
    e.ts_ms = 50000;
    win_add(w, 0, &e, 65002);
    assert_int_equal(emitted, 1);
    win_destroy(w);
}

/* A state saved while a source stood at the floor (an expected partition
 * that reported nothing yet, as the pipeline marks it after a restore)
 * loads back with the same watermark; a watermark below the floor's
 * reach, or above any time, is refused. */
static void test_floor_round_trip(void **state) {
    (void)state;
    win_config c = {.size_ms = 1000, .advance_ms = 1000, .lateness_ms = 60000, .idle_timeout_ms = 5000,
                    .scopes = WIN_SCOPE_GLOBAL};
    win_engine *w = win_create(&c, count_emit, NULL, NULL);
    event e = {.id = "x", .text = "x", .source = "s", .ts_ms = 10000};
    snprintf(e.sentiment.label, sizeof e.sentiment.label, "neutral");
    win_observe(w, 1, WIN_TS_FLOOR, 0);
    win_hold(w, 1, 1, 0);
    win_add(w, 0, &e, 0);
    int64_t wm = win_watermark(w);
    assert_true(wm < -WIN_TIME_MAX && wm > INT64_MIN); /* the floor minus the lateness */
    cw o;
    cw_init(&o);
    win_save(w, &o);
    win_engine *back = win_create(&c, count_emit, NULL, NULL);
    cr in;
    cr_init(&in, o.buf, o.len);
    if (win_load(back, &in, 0) != 0) fail_msg("win_load: %s", in.err);
    assert_true(win_watermark(back) == wm);
    win_destroy(back);
    assert_true(win_mark_ok(INT64_MIN) && win_mark_ok(WIN_TS_FLOOR) && win_mark_ok(0));
    assert_false(win_mark_ok(WIN_TS_FLOOR - WIN_TIME_MAX) || win_mark_ok(WIN_TIME_MAX) || win_mark_ok(INT64_MIN + 1));
    cw_free(&o);
    win_destroy(w);
}

int main(void) {
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codec_round_trip),  cmocka_unit_test(test_codec_guards),
        cmocka_unit_test(test_cut_tumbling),      cmocka_unit_test(test_cut_hopping),
        cmocka_unit_test(test_truncated_and_flipped), cmocka_unit_test(test_other_window_settings),
        cmocka_unit_test(test_hold),              cmocka_unit_test(test_floor_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
