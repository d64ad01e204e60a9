/* uncounted — never run blind: the share of recent events that the windows
 * did not count because their sentiment label means none of negative,
 * neutral, positive (util/labelmap.h), for the metric
 * finsent_events_uncounted_share and a /readyz failure above
 * model.max_uncounted_share.
 *
 * The share is over the last UNC_SPAN to 2·UNC_SPAN events (two halves:
 * the current one and the one before), so that it follows a model or a
 * scored topic that changes, and recovers once labels are counted again.
 * One thread notes events; any thread may read (a mutex, taken once per
 * event: nothing next to classifying one). */
#ifndef FINSENT_UNCOUNTED_H
#define FINSENT_UNCOUNTED_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define UNC_SPAN 1000 /* events per half */
#define UNC_MIN 100   /* events before the share is judged */

typedef struct uncounted {
    pthread_mutex_t mu;
    int64_t n, bad, prev_n, prev_bad;
    double max_share; /* readiness fails above this share */
} uncounted;

/* max_share in [0, 1]; 1 never fails readiness. */
void unc_init(uncounted *u, double max_share);
void unc_destroy(uncounted *u);
/* One event aggregated: counted in its windows, or not. */
void unc_note(uncounted *u, int counted);
/* The share of recent events not counted; 0 before UNC_MIN events. */
double unc_share(uncounted *u);
/* An http_endpoint ready check (arg: the uncounted): 1 when ready, else 0
 * with the reason in buf. */
int unc_ready(void *arg, char *buf, size_t len);

#endif
