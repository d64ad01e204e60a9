/* fuzz_state — libFuzzer target for the checkpoint readers: what a restart
 * reads back from state.dir (app/checkpoint.h, app/pipeline.h
 * pipeline_restore, alerts/alerts.h alerts_load and the window, baseline
 * and alert-state decoders under it). The first input byte picks the
 * layer, the rest is its input:
 *   0  the alerts engine's state (alerts_load) into a new engine;
 *   1  a pipeline checkpoint payload (pipeline_restore: partitions and
 *      offsets, then the alerts engine's state);
 *   2  a whole snapshot file (ckpt_parse: header, length, checksum);
 *   3  the aggregate role's copy table (app/copy_table.h ct_load), which
 *      its checkpoints carry after the engine's state.
 * Checked beyond crashes and leaks: a failure leaves the engine empty and
 * says why in one line; a state that loads is a fixed point — saved again
 * and loaded into another new engine, it saves to the same bytes — and the
 * engine then takes events and closes its windows. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alerts/alerts.h"
#include "app/checkpoint.h"
#include "app/copy_table.h"
#include "app/pipeline.h"
#include "util/codec.h"
#include "util/log.h"
#include "util/xalloc.h"

static alert_rule rules[2];
static alerts_options opt;
static char outbox_path[96]; /* the engines' outbox (nothing is written to it: the rules have no sinks) */

static void remove_outbox(void) { unlink(outbox_path); }

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    snprintf(outbox_path, sizeof outbox_path, "%s/finsent-fuzz-state-%d.outbox",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (int)getpid());
    atexit(remove_outbox);
    log_set_level(LOG_OFF);
    rules[0] = (alert_rule){.name = "spike", .scope = WIN_SCOPE_ENTITY, .min_count = 3, .min_negatives = 3,
                            .zscore = 2, .severity = ALERT_CRITICAL, .repeat_interval_ms = 3000, .resolve_after = 2};
    rules[1] = (alert_rule){.name = "topic", .scope = WIN_SCOPE_TOPIC, .min_count = 3, .min_negatives = 4,
                            .min_negative_share = 0.4, .severity = ALERT_WARNING, .resolve_after = 1};
    opt = (alerts_options){.window = {.size_ms = 2000, .advance_ms = 1000, .lateness_ms = 500, .scopes = WIN_SCOPE_ENTITY | WIN_SCOPE_TOPIC, .top_k = 3},
                           .baseline = {.alpha = 0.3, .warmup = 3, .min_stddev = 0.05, .robust_k = 3},
                           .rules = rules,
                           .n_rules = 2,
                           .outbox_path = outbox_path};
    return 0;
}

static alerts *engine(void) {
    char err[256];
    alerts *a = alerts_create(&opt, err, sizeof err);
    if (!a) {
        fprintf(stderr, "fuzz finding: cannot create the engine: %s\n", err);
        abort();
    }
    return a;
}

static void one_line(const char *err) {
    if (!err[0] || strchr(err, '\n')) {
        fprintf(stderr, "fuzz finding: error message empty or not one line: \"%s\"\n", err);
        abort();
    }
}

/* A loaded engine saves to bytes that load into a new engine and save to
 * the same bytes; both then count an event and close their windows. */
static void check_fixed_point(alerts *a) {
    cw w1, w2;
    cw_init(&w1);
    cw_init(&w2);
    alerts_save(a, &w1);
    alerts *b = engine();
    cr r;
    cr_init(&r, w1.buf, w1.len);
    char err[256] = "";
    if (alerts_load(b, &r, 0, err, sizeof err) != 0 || cr_left(&r) != 0) {
        fprintf(stderr, "fuzz finding: a saved state does not load back: %s\n", err);
        abort();
    }
    alerts_save(b, &w2);
    if (w1.len != w2.len || memcmp(w1.buf, w2.buf, w1.len) != 0) {
        fprintf(stderr, "fuzz finding: save(load(save(x))) differs from save(x)\n");
        abort();
    }
    char *ent = "FUZZ";
    event e = {.id = "f", .text = "f", .source = "s", .entities = &ent, .n_entities = 1, .ts_ms = 4000000000000LL};
    snprintf(e.sentiment.label, sizeof e.sentiment.label, "negative");
    snprintf(e.topic.label, sizeof e.topic.label, "Macro");
    alerts_add(b, 0, &e, 0);
    alerts_flush(b);
    alerts_destroy(b, 0);
    cw_free(&w1);
    cw_free(&w2);
}

/* Layer 3: refused in one line with the table left empty, or loaded and a
 * fixed point: saved, loaded into another table, saved to the same bytes. */
static void copy_table_layer(const uint8_t *data, size_t size) {
    copy_table t, u;
    ct_init(&t, NULL, NULL, 0);
    ct_init(&u, NULL, NULL, 0);
    cr r;
    cr_init(&r, data, size);
    char err[512] = "";
    if (ct_load(&t, &r, err, sizeof err) != 0) {
        one_line(err);
        if (dict_count(t.seen) || dict_count(t.pairs)) {
            fprintf(stderr, "fuzz finding: a refused copy table was left with entries\n");
            abort();
        }
    } else {
        cw w1, w2;
        cw_init(&w1);
        cw_init(&w2);
        ct_save(&t, &w1);
        cr_init(&r, w1.buf, w1.len);
        if (ct_load(&u, &r, err, sizeof err) != 0 || cr_left(&r) != 0) {
            fprintf(stderr, "fuzz finding: a saved copy table does not load back: %s\n", err);
            abort();
        }
        ct_save(&u, &w2);
        if (w1.len != w2.len || memcmp(w1.buf, w2.buf, w1.len) != 0) {
            fprintf(stderr, "fuzz finding: copy table: save(load(save(x))) differs from save(x)\n");
            abort();
        }
        cw_free(&w1);
        cw_free(&w2);
    }
    ct_free(&t);
    ct_free(&u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    int layer = data[0] % 4;
    data++;
    size--;
    char err[512] = "";
    if (layer == 3) {
        copy_table_layer(data, size);
        return 0;
    }
    if (layer == 2) {
        const unsigned char *p;
        size_t len;
        uint64_t seq;
        if (ckpt_parse(data, size, &p, &len, &seq, err, sizeof err) == 0) {
            if (p < data || p + len > data + size) abort();
        } else {
            one_line(err);
        }
        return 0;
    }
    alerts *a = engine();
    int rc;
    if (layer == 0) {
        cr r;
        cr_init(&r, data, size);
        rc = alerts_load(a, &r, 0, err, sizeof err);
    } else {
        pl_options po = {.alerts = a, .window_size_ms = 2000, .window_advance_ms = 1000, .queue_capacity = 4};
        pl_source src = {0};
        pipeline *p = pipeline_create(&po, &src);
        rc = pipeline_restore(p, data, size, err, sizeof err);
        pipeline_free(p);
    }
    if (rc != 0) {
        one_line(err);
        if (rc < 0 && alerts_get_metrics(a).watermark_ms != INT64_MIN) {
            fprintf(stderr, "fuzz finding: a refused state left the engine changed\n");
            abort();
        }
    } else {
        check_fixed_point(a);
    }
    alerts_destroy(a, 0);
    return 0;
}
