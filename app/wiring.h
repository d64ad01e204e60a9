/* wiring — turns the checked config (app/config.h) into the option structs
 * of the modules, which know nothing of the config file: ingest_options,
 * cls_options and alerts_options. */
#ifndef FINSENT_WIRING_H
#define FINSENT_WIRING_H

#include <stddef.h>

#include "alerts/alerts.h"
#include "app/config.h"
#include "classify/classifier.h"
#include "ingest/ingest.h"

/* Fills out (zeroed by the caller) from cfg; free with ingest_options_free.
 * Field pointers left at their defaults map to NULL so that the decoder's
 * own fall-backs (entities, then tickers) apply. Can't fail. */
void wire_ingest(const fs_config *cfg, ingest_options *out);

/* The classifier options of cfg.model. */
cls_options wire_classifier(const fs_config *cfg);

/* The label map of cfg.model.sentiment_labels (values checked by the
 * config); caller frees with lm_free. Never NULL. */
labelmap *wire_labels(const fs_config *cfg);

/* alerts_options plus the arrays it points into; owned by the struct. */
typedef struct wired_alerts {
    alerts_options opt;
    alert_rule *rules;
    const char **all_sinks; /* for rules that name no sink: every sink */
    alert_silence *silences;
    alerts_sink *sinks;
    char *outbox_path;
    char *failed_path;
    char **kafka_props;
} wired_alerts;

/* Fills w from cfg: rules, silences, sinks (webhook, kafka and file; the
 * kafka sink reuses cfg.kafka's connection properties), outbox at
 * outbox.dir/alerts.outbox, failed deliveries at outbox.dir/failed.jsonl.
 * Creates outbox.dir (mode 0700) when missing. Returns 0, or -1 with one
 * line in err (a directory that cannot be made).
 * Strings borrow from cfg, which must outlive w. */
int wire_alerts(const fs_config *cfg, wired_alerts *w, char *err, size_t errlen);
void wired_alerts_free(wired_alerts *w);

#endif
