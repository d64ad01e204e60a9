/* ops_metrics — ingest and webhook collectors; see ops_metrics.h. */
#include "app/ops_metrics.h"

#include <stdio.h>

#include "ingest/decode.h"

static void write_lag(const ingest_partition_lag *l, void *ud) {
    char topic[256], labels[320];
    metrics_escape(l->topic, topic, sizeof topic);
    snprintf(labels, sizeof labels, "topic=\"%s\",partition=\"%d\"", topic, (int)l->partition);
    mw_gauge(ud, "finsent_consumer_lag",
             "Messages behind the high watermark, per assigned partition (as of the last fetch; -1 unknown).", labels,
             (double)l->lag);
}

void ops_collect_ingest(metrics_writer *w, void *arg) {
    ingest_metrics m;
    ingest_metrics_get(arg, &m);
    mw_counter(w, "finsent_messages_in_total", "Messages read from Kafka.", "", (double)m.messages_in);
    for (int r = 1; r < DECODE_N_REASONS; r++) {
        char labels[96];
        snprintf(labels, sizeof labels, "reason=\"%s\"", decode_reason_name((enum decode_reason)r));
        mw_counter(w, "finsent_dead_letters_total", "Messages sent to the dead-letter topic, by reason.", labels,
                   (double)m.dead_letter_by_reason[r]);
    }
    mw_counter(w, "finsent_dead_letters_given_up_total",
               "Dead letters not delivered within ingest.dead_letter_give_up_after (logged; offsets acknowledged).", "",
               (double)m.dead_letters_given_up);
    mw_counter(w, "finsent_texts_truncated_total", "Texts cut to ingest.max_text_bytes.", "", (double)m.truncated);
    mw_gauge(w, "finsent_in_flight", "Messages polled and still in the bounded pipeline.", "", m.in_flight);
    mw_gauge(w, "finsent_consumer_paused", "1 while partitions are paused for back-pressure.", "", m.paused);
    mw_gauge(w, "finsent_assigned_partitions", "Partitions assigned to this instance.", "", m.assigned_partitions);
    ingest_partition_lags(arg, write_lag, w);
    mw_counter(w, "finsent_messages_redelivered_total",
               "Messages fetched again below a partition's position after broker failures (dropped).", "",
               (double)m.rewind_skipped);
    mw_counter(w, "finsent_rebalances_total", "Partition assignments and revocations.", "", (double)m.rebalances);
    mw_counter(w, "finsent_rebuilt_records_total",
               "Records read again below the committed offset to rebuild aggregate state (role aggregate).", "",
               (double)m.rebuilt);
}

void ops_collect_webhook(metrics_writer *w, void *arg) {
    const wh_latency *l = alerts_webhook_latency(arg);
    const char *help = "Duration of webhook delivery attempts, by outcome.";
    mw_hist(w, "finsent_webhook_latency_seconds", help, "outcome=\"ok\"", &l->ok);
    mw_hist(w, "finsent_webhook_latency_seconds", help, "outcome=\"retryable\"", &l->retryable);
    mw_hist(w, "finsent_webhook_latency_seconds", help, "outcome=\"rejected\"", &l->rejected);
}
