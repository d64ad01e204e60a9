/* eval_metrics — classification report; see eval_metrics.h. */
#include "train/eval_metrics.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "util/errmsg.h"
#include "util/xalloc.h"

static double ratio(long a, long b) { return b ? (double)a / (double)b : 0.0; }

evm_report *evm_compute(const int *gold, const int *pred, size_t n, int n_classes, const char *const *labels,
                        char *err, size_t errlen) {
    if (n_classes < 1) {
        err_set(err, errlen, "no classes to score");
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (gold[i] < 0 || gold[i] >= n_classes || pred[i] < 0 || pred[i] >= n_classes) {
            err_set(err, errlen, "example %zu: label out of range 0..%d (gold %d, predicted %d)", i, n_classes - 1,
                    gold[i], pred[i]);
            return NULL;
        }
    evm_report *r = xcalloc(1, sizeof *r);
    int C = r->n_classes = n_classes;
    r->cls = xcalloc((size_t)C, sizeof *r->cls);
    r->confusion = xcalloc((size_t)C * (size_t)C, sizeof *r->confusion);
    r->total = (long)n;
    for (size_t i = 0; i < n; i++) {
        r->confusion[(size_t)gold[i] * C + pred[i]]++;
        r->cls[gold[i]].support++;
        r->cls[pred[i]].predicted++;
        r->correct += gold[i] == pred[i];
    }
    r->accuracy = ratio(r->correct, r->total);
    int seen = 0;
    for (int c = 0; c < C; c++) {
        evm_class *k = &r->cls[c];
        k->label = labels ? xstrdup(labels[c]) : xasprintf("%d", c);
        long tp = r->confusion[(size_t)c * C + c];
        k->precision = ratio(tp, k->predicted);
        k->recall = ratio(tp, k->support);
        k->f1 = k->precision + k->recall > 0 ? 2 * k->precision * k->recall / (k->precision + k->recall) : 0.0;
        k->seen = k->support > 0 || k->predicted > 0;
        if (!k->seen) continue;
        seen++;
        r->macro_p += k->precision;
        r->macro_r += k->recall;
        r->macro_f1 += k->f1;
        r->weighted_p += k->precision * (double)k->support;
        r->weighted_r += k->recall * (double)k->support;
        r->weighted_f1 += k->f1 * (double)k->support;
    }
    if (seen) {
        r->macro_p /= seen;
        r->macro_r /= seen;
        r->macro_f1 /= seen;
    }
    if (r->total) {
        r->weighted_p /= (double)r->total;
        r->weighted_r /= (double)r->total;
        r->weighted_f1 /= (double)r->total;
    }
    return r;
}

void evm_free(evm_report *r) {
    if (!r) return;
    for (int c = 0; c < r->n_classes; c++) free(r->cls[c].label);
    free(r->cls);
    free(r->confusion);
    free(r);
}

void evm_print_text(const evm_report *r, const char *title, FILE *f) {
    int w = 12;
    for (int c = 0; c < r->n_classes; c++) {
        int l = (int)strlen(r->cls[c].label);
        w = l > w ? l : w;
    }
    if (title) fprintf(f, "%s\n\n", title);
    fprintf(f, "%*s %9s %9s %9s %9s\n", w, "", "precision", "recall", "f1-score", "support");
    for (int c = 0; c < r->n_classes; c++) {
        const evm_class *k = &r->cls[c];
        fprintf(f, "%*s %9.4f %9.4f %9.4f %9ld\n", w, k->label, k->precision, k->recall, k->f1, k->support);
    }
    fprintf(f, "\n%*s %9s %9s %9.4f %9ld\n", w, "accuracy", "", "", r->accuracy, r->total);
    fprintf(f, "%*s %9.4f %9.4f %9.4f %9ld\n", w, "macro avg", r->macro_p, r->macro_r, r->macro_f1, r->total);
    fprintf(f, "%*s %9.4f %9.4f %9.4f %9ld\n", w, "weighted avg", r->weighted_p, r->weighted_r, r->weighted_f1,
            r->total);
    fprintf(f, "\nconfusion matrix (rows: gold, columns: predicted, in label order)\n");
    fprintf(f, "%*s", w, "");
    for (int c = 0; c < r->n_classes; c++) fprintf(f, " %6d", c);
    fputc('\n', f);
    for (int g = 0; g < r->n_classes; g++) {
        fprintf(f, "%*s", w, r->cls[g].label);
        for (int c = 0; c < r->n_classes; c++) fprintf(f, " %6ld", r->confusion[(size_t)g * r->n_classes + c]);
        fputc('\n', f);
    }
}

static cJSON *avg(double p, double rc, double f1, long support) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "precision", p);
    cJSON_AddNumberToObject(o, "recall", rc);
    cJSON_AddNumberToObject(o, "f1", f1);
    cJSON_AddNumberToObject(o, "support", (double)support);
    return o;
}

char *evm_to_json(const evm_report *r, const char *head) {
    cJSON *o = cJSON_CreateObject();
    if (head) cJSON_AddStringToObject(o, "head", head);
    cJSON_AddNumberToObject(o, "n", (double)r->total);
    cJSON_AddNumberToObject(o, "accuracy", r->accuracy);
    cJSON *cl = cJSON_AddArrayToObject(o, "classes");
    for (int c = 0; c < r->n_classes; c++) {
        const evm_class *k = &r->cls[c];
        cJSON *e = avg(k->precision, k->recall, k->f1, k->support);
        cJSON_AddStringToObject(e, "label", k->label);
        cJSON_AddItemToArray(cl, e);
    }
    cJSON_AddItemToObject(o, "macro avg", avg(r->macro_p, r->macro_r, r->macro_f1, r->total));
    cJSON_AddItemToObject(o, "weighted avg", avg(r->weighted_p, r->weighted_r, r->weighted_f1, r->total));
    cJSON *cm = cJSON_AddObjectToObject(o, "confusion_matrix");
    cJSON *lb = cJSON_AddArrayToObject(cm, "labels");
    cJSON *rows = cJSON_AddArrayToObject(cm, "rows");
    for (int g = 0; g < r->n_classes; g++) {
        cJSON_AddItemToArray(lb, cJSON_CreateString(r->cls[g].label));
        cJSON *row = cJSON_CreateArray();
        for (int c = 0; c < r->n_classes; c++)
            cJSON_AddItemToArray(row, cJSON_CreateNumber((double)r->confusion[(size_t)g * r->n_classes + c]));
        cJSON_AddItemToArray(rows, row);
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}
