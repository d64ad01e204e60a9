/* run_roles — what `finsent run` runs: the whole pipeline in one process
 * (role all), or one of the two scale-out roles joined by the scored
 * topic (docs/operations.md "Scaling out"):
 *
 *   classify   consumer group over the inputs → decode → classify → one
 *              record per aggregation key to scored_topic (key = the
 *              aggregation key); an input offset is committed once all its
 *              records are delivered (app/scored_sink.h).
 *   aggregate  consumer group aggregate.group_id over the scored topic
 *              (eager rebalances; --instance I names the instance only;
 *              aggregate.assignment static: p % instances == I instead):
 *              on every assignment the state starts empty and every
 *              assigned partition is read from its beginning
 *              (app/scored_source.h): the records below the committed offset rebuild windows,
 *              baselines and alert state with the transitions sent before
 *              muted (alerts/part_mute.h) → drops copies
 *              (app/scored_source.h) → windows, baselines, rules, outbox,
 *              sinks, committing as role all does. */
#ifndef FINSENT_RUN_ROLES_H
#define FINSENT_RUN_ROLES_H

#include "alerts/alerts.h"

enum run_role { RUN_ROLE_ALL, RUN_ROLE_CLASSIFY, RUN_ROLE_AGGREGATE };

typedef struct run_role_args {
    enum run_role role;
    const char *config, *model, *outbox; /* model, outbox: overrides or NULL */
    int instance, has_instance;          /* aggregate */
    int reset_state;                     /* --reset-state: set the checkpoints aside first */
    const alerts_observer *observer;     /* may be NULL */
} run_role_args;

/* Runs until SIGINT/SIGTERM (signals_install); returns the exit status:
 * 0, 1 runtime failure, 2 bad usage, config or model. */
int run_role(const run_role_args *a);

#endif
