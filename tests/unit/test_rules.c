/* Unit tests for alerts/rules and alerts/alert_state: conditions with
 * hand-computed baselines (z-score, ratio, warm-up), the life cycle
 * (fire, repeat with the same id, resolve after N windows, also when the
 * key goes quiet), silences, several rules at once and the stable id;
 * baselines that hold through an incident, resolving only back inside the
 * held band, and resolved alerts that carry the clearing window's figures
 * and the first firing window's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "alerts/alert_state.h"

#define MAXA 32

typedef struct got {
    alert a[MAXA];
    int n;
} got;

static void on_alert(const alert *a, void *ud) {
    got *g = ud;
    if (g->n < MAXA) g->a[g->n++] = *a;
}

static win_key key_k = {WIN_SCOPE_ENTITY, "ACME", NULL, "entity=ACME", 0};
static win_key key_o = {WIN_SCOPE_ENTITY, "OTHER", NULL, "entity=OTHER", 1};
static win_key key_g = {WIN_SCOPE_GLOBAL, NULL, NULL, "*", 2};

static win_result res(const win_key *k, int64_t end, int64_t count, int64_t neg) {
    return (win_result){k, end - 1000, end, {count, neg, count - neg, 0, 0}, NULL, 0};
}

static void batch1(as_engine *as, const win_key *k, int64_t end, int64_t count, int64_t neg) {
    win_result r = res(k, end, count, neg);
    as_process(as, &r, 1);
}

static void test_zscore_rule_by_hand(void **state) {
    (void)state;
    bl_config bc = {0.5, 2, 0.05, 0};
    bl_table *bt = bl_create(&bc);
    alert_rule r = {.name = "spike", .scope = WIN_SCOPE_ENTITY, .min_count = 5, .min_negatives = 3, .zscore = 3,
                    .resolve_after = 1};
    assert_null(rule_check(&r));
    rule_eval ev;
    win_stats hot = {20, 10, 10, 0, 0};
    /* not warm: n = 0 < 2 */
    assert_false(rule_holds(&r, &hot, bt, bl_get(bt, 0), &ev));
    win_stats calm = {10, 1, 9, 0, 0};
    bl_update(bt, 0, &calm);
    bl_update(bt, 0, &calm);
    /* baseline share 0.1, σ 0 floored to 0.05: z = (0.5 - 0.1) / 0.05 = 8 */
    assert_true(rule_holds(&r, &hot, bt, bl_get(bt, 0), &ev));
    assert_float_equal(ev.negative_share, 0.5, 1e-12);
    assert_float_equal(ev.baseline_share, 0.1, 1e-12);
    assert_float_equal(ev.zscore, 8.0, 1e-9);
    assert_float_equal(ev.ratio, 10.0, 1e-9);
    /* 0.24 < 0.1 + 3·0.05 = 0.25 */
    win_stats mild = {100, 24, 76, 0, 0};
    assert_false(rule_holds(&r, &mild, bt, bl_get(bt, 0), &ev));
    win_stats mild2 = {100, 25, 75, 0, 0};
    assert_true(rule_holds(&r, &mild2, bt, bl_get(bt, 0), &ev));
    /* min_negatives */
    win_stats few = {5, 2, 3, 0, 0};
    assert_false(rule_holds(&r, &few, bt, bl_get(bt, 0), &ev));
    bl_destroy(bt);
}

static void test_ratio_rule_by_hand(void **state) {
    (void)state;
    bl_config bc = {0.5, 2, 0.0, 0};
    bl_table *bt = bl_create(&bc);
    alert_rule r = {.name = "x4", .scope = WIN_SCOPE_GLOBAL, .ratio = 3, .resolve_after = 1};
    win_stats base = {10, 2, 8, 0, 0};
    bl_update(bt, 0, &base);
    bl_update(bt, 0, &base); /* negatives mean 2 */
    rule_eval ev;
    win_stats five = {10, 5, 5, 0, 0}, six = {10, 6, 4, 0, 0};
    assert_false(rule_holds(&r, &five, bt, bl_get(bt, 0), &ev));
    assert_true(rule_holds(&r, &six, bt, bl_get(bt, 0), &ev));
    assert_float_equal(ev.ratio, 3.0, 1e-12);
    bl_destroy(bt);
}

static void test_life_cycle(void **state) {
    (void)state;
    bl_config bc = {0.5, 0, 0.0, 0};
    bl_table *bt = bl_create(&bc);
    alert_rule r = {.name = "share", .scope = WIN_SCOPE_ENTITY, .min_count = 5, .min_negative_share = 0.5,
                    .severity = ALERT_CRITICAL, .repeat_interval_ms = 2000, .resolve_after = 2};
    got g = {0};
    as_engine *as = as_create(&r, 1, NULL, 0, bt, on_alert, &g);
    batch1(as, &key_k, 1000, 10, 6); /* fires; first window [0,1000) */
    assert_int_equal(g.n, 1);
    assert_int_equal(g.a[0].status, ALERT_FIRING);
    assert_int_equal(g.a[0].severity, ALERT_CRITICAL);
    char id[ALERT_ID_LEN + 1];
    as_alert_id("share", "entity=ACME", 0, id);
    assert_string_equal(g.a[0].id, id);
    batch1(as, &key_k, 2000, 10, 6); /* holds; 1 s since the send < 2 s */
    assert_int_equal(g.n, 1);
    batch1(as, &key_k, 3000, 10, 7); /* 2 s: repeated with the same id and the latest window */
    assert_int_equal(g.n, 2);
    assert_string_equal(g.a[1].id, id);
    assert_int_equal(g.a[1].window_end_ms, 3000);
    assert_int_equal(g.a[1].counts.negatives, 7);
    batch1(as, &key_k, 4000, 10, 1); /* false once */
    assert_int_equal(g.n, 2);
    batch1(as, &key_o, 5000, 10, 1); /* ACME quiet: false twice → resolved */
    assert_int_equal(g.n, 3);
    assert_int_equal(g.a[2].status, ALERT_RESOLVED);
    assert_string_equal(g.a[2].id, id);
    assert_int_equal(as_n_firing(as), 0);
    batch1(as, &key_k, 6000, 10, 9); /* fires again: a new alert, a new id */
    assert_int_equal(g.n, 4);
    as_alert_id("share", "entity=ACME", 5000, id);
    assert_string_equal(g.a[3].id, id);
    as_counts c = as_get_counts(as);
    assert_int_equal(c.fired, 2);
    assert_int_equal(c.repeated, 1);
    assert_int_equal(c.resolved, 1);
    as_destroy(as);
    bl_destroy(bt);
}

static void test_silence(void **state) {
    (void)state;
    bl_config bc = {0.5, 0, 0.0, 0};
    bl_table *bt = bl_create(&bc);
    alert_rule r = {.name = "share", .scope = WIN_SCOPE_ENTITY, .min_negative_share = 0.5,
                    .repeat_interval_ms = 2000, .resolve_after = 1};
    alert_silence s = {"share", "entity=ACME", 2500};
    got g = {0};
    as_engine *as = as_create(&r, 1, &s, 1, bt, on_alert, &g);
    batch1(as, &key_k, 1000, 10, 6); /* fires, silenced */
    batch1(as, &key_o, 1000 + 0, 10, 9); /* another key is not silenced */
    assert_int_equal(g.n, 1);
    assert_string_equal(g.a[0].key->name, "entity=OTHER");
    win_result both[2] = {res(&key_k, 3000, 10, 6), res(&key_o, 3000, 10, 9)};
    as_process(as, both, 2); /* repeats; ACME's silence is over at end 3000 */
    assert_int_equal(g.n, 3);
    assert_string_equal(g.a[1].key->name, "entity=ACME");
    assert_int_equal(as_get_counts(as).suppressed, 1);
    as_destroy(as);
    bl_destroy(bt);
}

static void test_several_rules_scopes(void **state) {
    (void)state;
    bl_config bc = {0.5, 0, 0.0, 0};
    bl_table *bt = bl_create(&bc);
    alert_rule rs[2] = {
        {.name = "ent", .scope = WIN_SCOPE_ENTITY, .min_negatives = 5, .resolve_after = 1},
        {.name = "all", .scope = WIN_SCOPE_GLOBAL, .min_negatives = 8, .resolve_after = 1},
    };
    got g = {0};
    as_engine *as = as_create(rs, 2, NULL, 0, bt, on_alert, &g);
    win_result b[3] = {res(&key_g, 1000, 20, 9), res(&key_k, 1000, 10, 6), res(&key_o, 1000, 10, 3)};
    as_process(as, b, 3);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.a[0].rule->name, "all");
    assert_string_equal(g.a[1].rule->name, "ent");
    assert_string_equal(g.a[1].key->name, "entity=ACME");
    assert_string_not_equal(g.a[0].id, g.a[1].id);
    as_destroy(as);
    bl_destroy(bt);
}

/* A sustained incident: the baseline holds from the first breaching window
 * until the alert resolves, so the alert stays firing for the whole burst
 * (with a learning baseline it resolved after a few windows: issue 15). */
static void test_baseline_holds_through_incident(void **state) {
    (void)state;
    bl_config bc = {0.3, 4, 0.05, 0};
    bl_table *bt = bl_create(&bc);
    alert_rule r = {.name = "z", .scope = WIN_SCOPE_ENTITY, .min_count = 20, .min_negative_share = 0.4,
                    .zscore = 3, .resolve_after = 2};
    got g = {0};
    as_engine *as = as_create(&r, 1, NULL, 0, bt, on_alert, &g);
    int64_t end = 0;
    for (int i = 0; i < 10; i++) batch1(as, &key_k, end += 1000, 30, 3); /* 10% negative */
    bl_state before = *bl_get(bt, key_k.id);
    assert_int_equal(before.n, 10);
    for (int i = 0; i < 30; i++) batch1(as, &key_k, end += 1000, 30, 28); /* the burst: 30 windows */
    assert_int_equal(g.n, 1);
    assert_int_equal(g.a[0].status, ALERT_FIRING);
    assert_int_equal(as_n_firing(as), 1);
    const bl_state *held = bl_get(bt, key_k.id);
    assert_int_equal(held->n, before.n);
    assert_float_equal(held->share_mean, before.share_mean, 0);
    assert_float_equal(held->share_var, before.share_var, 0);
    batch1(as, &key_k, end += 1000, 30, 4); /* inside once: still firing, still held */
    assert_int_equal(g.n, 1);
    assert_int_equal(bl_get(bt, key_k.id)->n, before.n);
    batch1(as, &key_k, end += 1000, 30, 5); /* inside twice: resolved, the clearing window not learnt */
    assert_int_equal(g.n, 2);
    assert_int_equal(g.a[1].status, ALERT_RESOLVED);
    assert_string_equal(g.a[1].id, g.a[0].id);
    assert_int_equal(bl_get(bt, key_k.id)->n, before.n);
    batch1(as, &key_k, end += 1000, 30, 3); /* learning again */
    assert_int_equal(bl_get(bt, key_k.id)->n, before.n + 1);
    as_destroy(as);
    bl_destroy(bt);
}

/* A window that breaches a rule is not learnt even when another rule of
 * the key holds nothing open; a key's baseline is shared by its rules. */
static void test_breaching_window_not_learnt(void **state) {
    (void)state;
    bl_config bc = {0.5, 0, 0.0, 0};
    bl_table *bt = bl_create(&bc);
    alert_rule rs[2] = {
        {.name = "loud", .scope = WIN_SCOPE_ENTITY, .min_negatives = 5, .resolve_after = 1},
        {.name = "quiet", .scope = WIN_SCOPE_ENTITY, .min_negatives = 50, .resolve_after = 1},
    };
    got g = {0};
    as_engine *as = as_create(rs, 2, NULL, 0, bt, on_alert, &g);
    batch1(as, &key_k, 1000, 10, 1);
    batch1(as, &key_o, 1000, 10, 1);
    assert_int_equal(bl_get(bt, key_k.id)->n, 1);
    batch1(as, &key_k, 2000, 10, 6); /* "loud" fires: not learnt */
    assert_int_equal(g.n, 1);
    assert_int_equal(bl_get(bt, key_k.id)->n, 1);
    assert_float_equal(bl_get(bt, key_k.id)->share_mean, 0.1, 1e-12);
    batch1(as, &key_o, 2000, 10, 2); /* another key learns meanwhile */
    assert_int_equal(bl_get(bt, key_o.id)->n, 2);
    as_destroy(as);
    bl_destroy(bt);
}

/* Only windows back inside the band clear: one below min_count but as
 * negative does not (and starts the count again); an empty one does. */
static void test_resolve_needs_inside_band(void **state) {
    (void)state;
    bl_config bc = {0.5, 0, 0.0, 0};
    bl_table *bt = bl_create(&bc);
    alert_rule r = {.name = "share", .scope = WIN_SCOPE_ENTITY, .min_count = 10, .min_negative_share = 0.5,
                    .resolve_after = 2};
    got g = {0};
    as_engine *as = as_create(&r, 1, NULL, 0, bt, on_alert, &g);
    batch1(as, &key_k, 1000, 10, 1);
    batch1(as, &key_k, 2000, 10, 8); /* fires */
    batch1(as, &key_k, 3000, 10, 2); /* inside: 1 */
    batch1(as, &key_k, 4000, 4, 4);  /* below min_count, all negative: not inside, count starts again */
    batch1(as, &key_k, 5000, 10, 2); /* inside: 1 */
    assert_int_equal(g.n, 1);
    assert_int_equal(as_n_firing(as), 1);
    batch1(as, &key_o, 6000, 10, 1); /* ACME has no window: empty, inside: 2 → resolved */
    assert_int_equal(g.n, 2);
    assert_int_equal(g.a[1].status, ALERT_RESOLVED);
    assert_int_equal(g.a[1].window_end_ms, 6000);
    assert_int_equal(g.a[1].counts.count, 0);
    assert_float_equal(g.a[1].stats.baseline_share, 0.1, 1e-12); /* the held baseline */
    as_destroy(as);
    bl_destroy(bt);
}

/* A resolved alert carries the figures of the window that cleared it and
 * the first firing window's; a repeat keeps the first window too. */
static void test_resolved_figures(void **state) {
    (void)state;
    bl_config bc = {0.5, 0, 0.0, 0};
    bl_table *bt = bl_create(&bc);
    alert_rule r = {.name = "share", .scope = WIN_SCOPE_ENTITY, .min_negative_share = 0.5,
                    .repeat_interval_ms = 1000, .resolve_after = 1};
    got g = {0};
    as_engine *as = as_create(&r, 1, NULL, 0, bt, on_alert, &g);
    batch1(as, &key_k, 1000, 10, 1);
    batch1(as, &key_k, 2000, 8, 6); /* fires */
    batch1(as, &key_k, 3000, 12, 9); /* repeated */
    batch1(as, &key_k, 4000, 20, 3); /* clears: resolved */
    assert_int_equal(g.n, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(g.a[i].first_start_ms, 1000);
        assert_int_equal(g.a[i].first_end_ms, 2000);
        assert_int_equal(g.a[i].first_counts.count, 8);
        assert_int_equal(g.a[i].first_counts.negatives, 6);
        assert_float_equal(g.a[i].first_stats.negative_share, 0.75, 1e-12);
        assert_float_equal(g.a[i].first_stats.baseline_share, 0.1, 1e-12);
    }
    assert_int_equal(g.a[1].counts.negatives, 9);
    assert_int_equal(g.a[2].status, ALERT_RESOLVED);
    assert_int_equal(g.a[2].window_start_ms, 3000);
    assert_int_equal(g.a[2].window_end_ms, 4000);
    assert_int_equal(g.a[2].counts.count, 20);
    assert_int_equal(g.a[2].counts.negatives, 3);
    assert_float_equal(g.a[2].stats.negative_share, 0.15, 1e-12);
    assert_float_equal(g.a[2].stats.baseline_share, 0.1, 1e-12);
    as_destroy(as);
    bl_destroy(bt);
}

static void test_names(void **state) {
    (void)state;
    assert_int_equal(rule_scope_parse("entity_topic"), WIN_SCOPE_ENTITY_TOPIC);
    assert_int_equal(rule_scope_parse("planet"), -1);
    assert_int_equal(rule_severity_parse("critical"), ALERT_CRITICAL);
    assert_int_equal(rule_severity_parse("fatal"), -1);
    alert_rule bad = {.name = "x", .scope = WIN_SCOPE_TOPIC, .resolve_after = 0};
    assert_non_null(rule_check(&bad));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zscore_rule_by_hand), cmocka_unit_test(test_ratio_rule_by_hand),
        cmocka_unit_test(test_life_cycle),          cmocka_unit_test(test_silence),
        cmocka_unit_test(test_several_rules_scopes), cmocka_unit_test(test_names),
        cmocka_unit_test(test_baseline_holds_through_incident), cmocka_unit_test(test_breaching_window_not_learnt),
        cmocka_unit_test(test_resolve_needs_inside_band), cmocka_unit_test(test_resolved_figures),
    };
    return cmocka_run_group_tests_name("rules", tests, NULL, NULL);
}
