/* uncounted — recent share of events not counted; see uncounted.h. */
#include "app/uncounted.h"

#include <stdio.h>

void unc_init(uncounted *u, double max_share) {
    *u = (uncounted){.max_share = max_share};
    pthread_mutex_init(&u->mu, NULL);
}

void unc_destroy(uncounted *u) { pthread_mutex_destroy(&u->mu); }

void unc_note(uncounted *u, int counted) {
    pthread_mutex_lock(&u->mu);
    u->n++;
    u->bad += !counted;
    if (u->n == UNC_SPAN) {
        u->prev_n = u->n;
        u->prev_bad = u->bad;
        u->n = u->bad = 0;
    }
    pthread_mutex_unlock(&u->mu);
}

double unc_share(uncounted *u) {
    pthread_mutex_lock(&u->mu);
    int64_t n = u->n + u->prev_n, bad = u->bad + u->prev_bad;
    pthread_mutex_unlock(&u->mu);
    return n >= UNC_MIN ? (double)bad / (double)n : 0.0;
}

int unc_ready(void *arg, char *buf, size_t len) {
    uncounted *u = arg;
    double share = unc_share(u);
    if (share <= u->max_share) return 1;
    snprintf(buf, len,
             "%.0f%% of recent events not counted (more than model.max_uncounted_share %.0f%%): their sentiment "
             "label means none of negative, neutral, positive; see model.sentiment_labels",
             100 * share, 100 * u->max_share);
    return 0;
}
