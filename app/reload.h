/* reload — SIGHUP for `finsent run`: re-read the config file and swap in
 * its rules, silences and sinks without losing a message.
 *
 * The new file is checked as at start (app/config.h). Invalid: one error
 * line, counted, and the running config stays. Valid: the alerts engine
 * takes the new rules, silences and sinks (alerts_reload: windows,
 * baselines, open alerts and the outbox stay; pending deliveries go to the
 * new sinks). Every other section (kafka, group_id, inputs, ingest, model,
 * windows, baseline, outbox, metrics, log) cannot change in a running
 * process: a change there is logged as needing a restart and ignored.
 * Input offsets are untouched, so nothing is read twice or skipped. */
#ifndef FINSENT_RELOAD_H
#define FINSENT_RELOAD_H

#include "app/service.h"
#include "util/metrics.h"

/* Reloads s->path into s. Must run on the thread that drives s->alerts
 * (the pipeline's aggregation loop). Returns 0 when the new rules and sinks
 * are in use, -1 when the file was rejected (logged; nothing changed). */
int reload_apply(service *s);

/* Prometheus collector (arg: the service): finsent_config_reloads_total
 * by result. Thread-safe. */
void reload_collect(metrics_writer *w, void *arg);

#endif
