/* alerts_fixture — the engine the alerts tests share: one webhook sink
 * "hook" pointed at a receiver on 127.0.0.1 (app/hook_server with secret
 * "k") and the "neg-spike" rule that sends to it. */
#ifndef FINSENT_TEST_ALERTS_FIXTURE_H
#define FINSENT_TEST_ALERTS_FIXTURE_H

#include "alerts/alerts.h"

/* The "neg-spike" rule: entity scope, at least 5 events and 3 negatives, a
 * z-score of 3, critical, sent to sink "hook", resolved after one quiet
 * window. A test changes fields of the copy it gets. Can't fail. */
alert_rule alerts_fixture_spike_rule(void);

/* Options with 1 s tumbling windows over `scopes` (2 samples a window), the
 * baseline {alpha 0.3, warm-up 3, min stddev 0.05}, rules[0..n_rules) (NULL
 * when n_rules is 0), the outbox at outbox_path, and one webhook sink
 * "hook" at url (secret "k", first retry after 50 ms, TLS verified) written
 * into *sink; every other field is zero. Nothing is copied: sink, rules,
 * url and outbox_path must outlive the options. Can't fail. */
alerts_options alerts_fixture_options(const char *url, alerts_sink *sink, const alert_rule *rules, int n_rules,
                                      unsigned scopes, const char *outbox_path);

#endif
