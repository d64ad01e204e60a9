/* service — what run, replay, backtest and demo set up alike: the checked
 * config, logging, the classifier (loaded before anything is consumed, so
 * a bad model is one clear error), the alerts engine with its outbox and
 * sinks and, with model.explain_alerts, the words behind its alerts
 * (app/alert_words.h), and the metrics endpoint. */
#ifndef FINSENT_SERVICE_H
#define FINSENT_SERVICE_H

#include <stddef.h>

#include "alerts/alerts.h"
#include "app/alert_words.h"
#include "app/config.h"
#include "app/http_endpoint.h"
#include "app/pipeline.h"
#include "app/wiring.h"
#include "classify/classifier.h"

typedef struct service {
    fs_config cfg;
    classifier *cls;
    classifier *explain_cls; /* the aggregate role's model, loaded only for alert words; else NULL */
    alert_words *words;      /* the alerts engine's explain callback; NULL: alerts without words */
    labelmap *labels; /* model.sentiment_labels: the classifier's and the windows' */
    wired_alerts wa;
    alerts *alerts;
    http_endpoint *http; /* NULL when metrics.listen is "" or not wanted */
    /* Where late events go (set before the pipeline runs; the default only
     * logs them): see pipeline_on_late. */
    win_late_fn on_late;
    void *late_ud;
    /* what service_open was given, for a reload (app/reload.h) */
    char *path, *model_dir, *outbox_dir;
    int flags;
    _Atomic int64_t reloads_ok, reloads_failed;
} service;

/* Flags for service_open. */
#define SERVICE_METRICS 1   /* start the metrics endpoint */
#define SERVICE_NO_SINKS 2  /* alerts go nowhere (back-tests, dry runs) */
#define SERVICE_NO_MODEL 4  /* no classifier (cls NULL): the aggregate role reads scored events; the
                               model is still loaded for alert words when model.explain_alerts is true */
#define SERVICE_NO_ALERT_WORDS 8 /* alerts without words whatever model.explain_alerts says (benchmarks) */

/* Loads the config at path (model_dir and outbox_dir override the
 * config's when not NULL), applies its log settings, opens the model and
 * the alerts engine. observer (may be NULL) watches windows and alerts.
 * Returns 0, or -1 with one line in err; on failure nothing is left open. */
int service_open(service *s, const char *path, const char *model_dir, const char *outbox_dir, int flags,
                 const alerts_observer *observer, char *err, size_t errlen);

/* SERVICE_NO_SINKS on wired options: no sinks, rules deliver nowhere. */
void service_drop_sinks(wired_alerts *w);

/* Pipeline options from the config (flush_at_end and drain_ms left 0). */
pl_options service_pipeline_options(const service *s);

/* Closes everything open; undelivered alerts stay in the outbox. */
void service_close(service *s);

/* A one-line summary of a finished run on stderr. */
void service_print_summary(const service *s, const pl_stats *st, long dead_letters);

#endif
