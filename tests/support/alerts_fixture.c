/* alerts_fixture — the shared webhook engine of the alerts tests; see
 * alerts_fixture.h. */
#include "tests/support/alerts_fixture.h"

static const char *const hook_sinks[] = {"hook"};

alert_rule alerts_fixture_spike_rule(void) {
    return (alert_rule){.name = "neg-spike", .scope = WIN_SCOPE_ENTITY, .min_count = 5, .min_negatives = 3,
                        .zscore = 3, .severity = ALERT_CRITICAL, .sinks = hook_sinks, .n_sinks = 1,
                        .resolve_after = 1};
}

alerts_options alerts_fixture_options(const char *url, alerts_sink *sink, const alert_rule *rules, int n_rules,
                                      unsigned scopes, const char *outbox_path) {
    *sink = (alerts_sink){.kind = ALERTS_SINK_WEBHOOK,
                          .webhook = {.name = "hook", .url = url, .secret = "k", .backoff_initial_ms = 50,
                                      .tls_verify = 1}};
    return (alerts_options){.window = {1000, 1000, 0, 0, scopes, 2},
                            .baseline = {0.3, 3, 0.05},
                            .rules = rules,
                            .n_rules = n_rules,
                            .sinks = sink,
                            .n_sinks = 1,
                            .outbox_path = outbox_path};
}
