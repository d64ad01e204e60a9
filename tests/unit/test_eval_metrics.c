/* Unit tests for train/eval_metrics against hand-computed values.
 *   gold 0 0 0 1 1 2 2 2 2 0, pred 0 1 0 1 2 2 2 0 2 0, 4 labels (class 3 unseen)
 *   class 0: TP 3 of 4 predicted, 4 gold → P .75 R .75 F1 .75
 *   class 1: TP 1 of 2 predicted, 2 gold → P .5  R .5  F1 .5
 *   class 2: TP 3 of 4 predicted, 4 gold → P .75 R .75 F1 .75
 *   accuracy 7/10; macro F1 (.75+.5+.75)/3 = .666667 (class 3 left out);
 *   weighted F1 (4*.75 + 2*.5 + 4*.75)/10 = .7 */
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

#include "train/eval_metrics.h"

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-9)

static const int gold[10] = {0, 0, 0, 1, 1, 2, 2, 2, 2, 0}, pred[10] = {0, 1, 0, 1, 2, 2, 2, 0, 2, 0};
static const char *const names[4] = {"negative", "positive", "neutral", "other"};

static void test_hand_computed(void **state) {
    (void)state;
    char err[128];
    evm_report *r = evm_compute(gold, pred, 10, 4, names, err, sizeof err);
    assert_non_null(r);
    NEAR(r->accuracy, 0.7);
    NEAR(r->cls[0].precision, 0.75);
    NEAR(r->cls[0].recall, 0.75);
    NEAR(r->cls[1].f1, 0.5);
    NEAR(r->cls[2].recall, 0.75);
    assert_int_equal(r->cls[2].support, 4);
    assert_int_equal(r->cls[3].seen, 0);
    NEAR(r->macro_f1, 2.0 / 3.0);
    NEAR(r->macro_p, 2.0 / 3.0);
    NEAR(r->weighted_f1, 0.7);
    long want[16] = {3, 1, 0, 0, 0, 1, 1, 0, 1, 0, 3, 0, 0, 0, 0, 0};
    assert_memory_equal(r->confusion, want, sizeof want);
    evm_free(r);
}

static void test_zero_denominators(void **state) {
    (void)state;
    /* class 1 predicted but never gold: P 0, R 0 and it counts in the macro */
    int g[2] = {0, 0}, p[2] = {0, 1};
    char err[128];
    evm_report *r = evm_compute(g, p, 2, 2, NULL, err, sizeof err);
    NEAR(r->cls[0].precision, 1.0);
    NEAR(r->cls[0].recall, 0.5);
    NEAR(r->cls[0].f1, 2.0 / 3.0);
    NEAR(r->cls[1].f1, 0.0);
    NEAR(r->macro_f1, 1.0 / 3.0);
    NEAR(r->weighted_f1, 2.0 / 3.0);
    assert_string_equal(r->cls[1].label, "1");
    evm_free(r);
    int bad[2] = {0, 5};
    assert_null(evm_compute(g, bad, 2, 2, NULL, err, sizeof err));
    assert_non_null(strstr(err, "example 1"));
}

static void test_outputs(void **state) {
    (void)state;
    char err[128];
    evm_report *r = evm_compute(gold, pred, 10, 4, names, err, sizeof err);
    char *js = evm_to_json(r, "sentiment");
    cJSON *o = cJSON_Parse(js);
    assert_non_null(o);
    NEAR(cJSON_GetObjectItem(o, "accuracy")->valuedouble, 0.7);
    assert_string_equal(cJSON_GetObjectItem(o, "head")->valuestring, "sentiment");
    NEAR(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "macro avg"), "f1")->valuedouble, 2.0 / 3.0);
    cJSON *c1 = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "classes"), 1);
    assert_string_equal(cJSON_GetObjectItem(c1, "label")->valuestring, "positive");
    cJSON *rows = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "confusion_matrix"), "rows");
    assert_int_equal(cJSON_GetArrayItem(cJSON_GetArrayItem(rows, 2), 0)->valueint, 1);
    cJSON_Delete(o);
    free(js);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    evm_print_text(r, "head sentiment", f);
    fclose(f);
    assert_non_null(strstr(buf, "    negative    0.7500    0.7500    0.7500         4"));
    assert_non_null(strstr(buf, "    accuracy                        0.7000        10"));
    assert_non_null(strstr(buf, "   macro avg    0.6667    0.6667    0.6667        10"));
    assert_non_null(strstr(buf, "     neutral      1      0      3      0"));
    free(buf);
    evm_free(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed),
        cmocka_unit_test(test_zero_denominators),
        cmocka_unit_test(test_outputs),
    };
    return cmocka_run_group_tests_name("eval_metrics", tests, NULL, NULL);
}
