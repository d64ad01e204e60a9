/* ngram_lr — multinomial logistic regression with L2 on sparse rows,
 * fitted by full-batch L-BFGS: the trainer of the n-gram part
 * (ngram_train.h). Deterministic: no randomness, fixed summation order.
 *
 * Loss of parameters theta = [W (k, dim) row-major, b (k)]:
 *   f = (1/n) sum_i cw[y_i] * CE(softmax(W x_i + b), y_i) + (lambda/2) |W|^2
 * (the bias is not regularised; cw NULL weighs every class 1). */
#ifndef FINSENT_NGRAM_LR_H
#define FINSENT_NGRAM_LR_H

#include <stdint.h>

typedef struct ngram_lr_data {
    int n;              /* examples */
    int dim;            /* feature columns */
    int k;              /* classes, <= 4096 */
    const int *rowptr;  /* (n + 1): row i is col/val[rowptr[i]..rowptr[i+1]) */
    const int32_t *col; /* column of each entry, < dim */
    const float *val;
    const int *y;       /* (n) labels, < k */
    const float *cw;    /* (k) class weights, or NULL */
    double lambda;      /* L2 strength, >= 0 */
} ngram_lr_data;

/* Number of parameters: k * dim + k. */
long ngram_lr_size(const ngram_lr_data *d);

/* The loss f at theta; when grad is not NULL, also its gradient there. */
double ngram_lr_loss(const ngram_lr_data *d, const float *theta, float *grad);

/* Minimises f from the starting point in theta (updated in place) with
 * L-BFGS (memory 5, backtracking Armijo line search) until an iteration
 * lowers f by less than tol * |f| or after max_iter iterations. Returns
 * the iterations run. */
int ngram_lr_fit(const ngram_lr_data *d, float *theta, int max_iter, double tol);

#endif
