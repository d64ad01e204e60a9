/* demo_receiver — the demo's local webhook: a hook_server on 127.0.0.1 that
 * checks each alert's signature and prints it readably on stdout: the
 * stats, the alert's "why" words and two samples with their top words in
 * [brackets]. */
#ifndef FINSENT_DEMO_RECEIVER_H
#define FINSENT_DEMO_RECEIVER_H

#include "app/hook_server.h"

/* Starts the receiver verifying signatures with secret. NULL when it
 * cannot listen. Stop with hs_stop. */
http_server *demo_receiver_start(const char *secret);

/* Alerts received so far: firing and resolved deliveries, how many carried
 * a valid signature, and distinct alert ids. Thread-safe. */
typedef struct demo_received {
    int firing, resolved, signed_ok, distinct_ids;
} demo_received;
demo_received demo_receiver_counts(void);

#endif
