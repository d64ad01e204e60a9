/* eval_metrics — the classification report of `finsent eval`: per-class
 * precision, recall, F1 and support, macro and weighted averages, accuracy
 * and the confusion matrix, as a text table or JSON.
 *
 * Conventions follow scikit-learn's classification_report: a precision or
 * recall with a zero denominator is 0; the averages run over the classes
 * that occur in the gold or the predicted labels (a class seen in neither is
 * listed but left out of the averages); weighted averages weigh by support.
 * (Named eval_metrics, prefix evm_, because util/metrics is the Prometheus
 * registry.) */
#ifndef FINSENT_EVAL_METRICS_H
#define FINSENT_EVAL_METRICS_H

#include <stddef.h>
#include <stdio.h>

typedef struct evm_class {
    char *label;
    double precision, recall, f1;
    long support;   /* gold count */
    long predicted; /* predicted count */
    int seen;       /* occurs in gold or predictions: counted in averages */
} evm_class;

typedef struct evm_report {
    int n_classes;
    evm_class *cls;
    long *confusion; /* n_classes x n_classes, row = gold, column = predicted */
    long total, correct;
    double accuracy;
    double macro_p, macro_r, macro_f1, weighted_p, weighted_r, weighted_f1;
} evm_report;

/* Scores n predictions against gold labels, both in 0..n_classes-1.
 * labels gives the class names (NULL: "0", "1", ...); they are copied.
 * Returns NULL with a message in err when a label is out of range or
 * n_classes < 1. */
evm_report *evm_compute(const int *gold, const int *pred, size_t n, int n_classes, const char *const *labels,
                        char *err, size_t errlen);
void evm_free(evm_report *r);

/* A table like scikit-learn's classification_report, then the confusion
 * matrix (rows gold, columns predicted), to f. */
void evm_print_text(const evm_report *r, const char *title, FILE *f);

/* The report as one JSON object (caller frees): accuracy, n, classes
 * [{label, precision, recall, f1, support}], "macro avg", "weighted avg",
 * confusion_matrix {labels, rows}. */
char *evm_to_json(const evm_report *r, const char *head);

#endif
