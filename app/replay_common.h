/* replay_common — the feed-replay run shared by `replay` and `backtest`:
 * service set-up, feed source, pipeline to the end of the feed, alerts
 * printed as JSON lines on stdout, a summary on stderr. */
#ifndef FINSENT_REPLAY_COMMON_H
#define FINSENT_REPLAY_COMMON_H

#include "alerts/alerts.h"
#include <stdint.h>

#include "app/alert_words.h"
#include "ingest/feed_file.h"

typedef struct replay_args {
    const char *config, *stream, *model, *outbox;
    const char *file;    /* a feed file; or else Kafka history: */
    int has_from;        /* --from TIME [--to TIME] */
    int64_t from_ms, to_ms; /* to_ms < 0: up to the end at start */
    const char *offsets; /* --from-offsets topic:partition:offset,... */
    double speed; /* 0 = max */
    int dry_run;  /* no sinks */
    int quiet;    /* alerts not printed (benchmarks) */
    int no_alert_words; /* alerts without words (SERVICE_NO_ALERT_WORDS; benchmarks) */
} replay_args;

/* What a finished replay saw, for reports. */
typedef struct replay_result {
    feed_counts feed; /* for Kafka history: events, dead letters and reasons */
    alerts_metrics alerts;
    long long classified;
    double seconds;
    aw_stats words; /* the words behind the alerts: what finding them took */
    char *sentiment_labels; /* "bearish=negative, …, other=none" (lm_describe); caller frees */
} replay_result;

/* "max" → 0, "1x" → 1, "60x" → 60, "0.5x" → 0.5; -1 when malformed. */
int replay_parse_speed(const char *s, double *speed);

/* Runs the replay; observer (may be NULL) also watches windows and alerts
 * (the alerts are printed on stdout either way); res (may be NULL) gets the
 * figures. Returns the exit status: 0, 1 runtime failure, 2 bad config or
 * model. cmd names the command in messages. */
int replay_run(const char *cmd, const replay_args *a, const alerts_observer *observer, replay_result *res);

#endif
