/* service — common set-up of the pipeline commands; see service.h. */
#include "app/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/errmsg.h"
#include "util/log.h"
#include "util/xalloc.h"

/* The alerts engine's late callback: hands over to the pipeline once one
 * is attached, logs until then. */
static void late_trampoline(const event *e, int missed, int total, void *ud) {
    service *s = ud;
    if (s->on_late)
        s->on_late(e, missed, total, s->late_ud);
    else if (missed == total)
        log_warn("pipeline", "late event %s (%s): every window it belongs to had closed; not counted", e->id,
                 e->stream);
}

void service_drop_sinks(wired_alerts *w) {
    w->opt.n_sinks = 0;
    for (int i = 0; i < w->opt.n_rules; i++) w->rules[i].n_sinks = 0;
}

int service_open(service *s, const char *path, const char *model_dir, const char *outbox_dir, int flags,
                 const alerts_observer *observer, char *err, size_t errlen) {
    memset(s, 0, sizeof *s);
    if (cfg_load(path, &s->cfg, err, errlen) < 0) return -1;
    s->path = xstrdup(path);
    s->model_dir = model_dir ? xstrdup(model_dir) : NULL;
    s->outbox_dir = outbox_dir ? xstrdup(outbox_dir) : NULL;
    s->flags = flags;
    log_set_level((enum log_level)s->cfg.log.level);
    if (s->cfg.log.format != LOG_FORMAT_AUTO) log_set_format((enum log_format)s->cfg.log.format);
    if (model_dir) {
        free(s->cfg.model.dir);
        s->cfg.model.dir = xstrdup(model_dir);
    }
    if (outbox_dir) {
        free(s->cfg.outbox.dir);
        s->cfg.outbox.dir = xstrdup(outbox_dir);
    }
    s->labels = wire_labels(&s->cfg);
    cls_options co = wire_classifier(&s->cfg);
    co.labels = s->labels;
    if (!(flags & SERVICE_NO_MODEL)) {
        co.check_sentiment = 1;
        s->cls = cls_open(s->cfg.model.dir, &co, err, errlen);
        if (!s->cls) goto fail;
        if (cls_sentiment_head(s->cls) < 0) {
            err_set(err, errlen, "%s/config.json: no sentiment head (a head named \"sentiment\", or one head not "
                                 "named \"topic\"): no event could be counted", s->cfg.model.dir);
            goto fail;
        }
    } else if (s->cfg.model.explain_alerts && !(flags & SERVICE_NO_ALERT_WORDS)) {
        s->explain_cls = cls_open(s->cfg.model.dir, &co, err, errlen);
        if (!s->explain_cls) {
            size_t n = strlen(err);
            snprintf(err + n, errlen - n, " (the model gives the words behind alerts; model.explain_alerts false "
                                          "runs without it)");
            goto fail;
        }
    }
    if (s->cfg.model.explain_alerts && !(flags & SERVICE_NO_ALERT_WORDS))
        s->words = aw_new(s->cls ? s->cls : s->explain_cls);
    if (wire_alerts(&s->cfg, &s->wa, err, errlen) < 0) goto fail;
    s->wa.opt.window.labels = s->labels;
    if (flags & SERVICE_NO_SINKS) service_drop_sinks(&s->wa);
    s->wa.opt.on_late = late_trampoline;
    s->wa.opt.late_ud = s;
    s->wa.opt.observer = observer;
    if (s->words) {
        s->wa.opt.explain = aw_explain;
        s->wa.opt.explain_ud = s->words;
    }
    s->alerts = alerts_create(&s->wa.opt, err, errlen);
    if (!s->alerts) goto fail;
    if ((flags & SERVICE_METRICS) && s->cfg.metrics.listen[0]) {
        s->http = http_endpoint_start(s->cfg.metrics.listen, err, errlen);
        if (!s->http) goto fail;
    }
    if (s->cls)
        log_info("service", "model %s: %d heads; outbox %s", s->cfg.model.dir, cls_n_heads(s->cls), s->wa.outbox_path);
    else
        log_info("service", "no model (scored input)%s; outbox %s", s->explain_cls ? ", model loaded for alert words" : "",
                 s->wa.outbox_path);
    if (s->cfg.model.explain_alerts && !(flags & SERVICE_NO_ALERT_WORDS) && !s->words)
        log_warn("service", "model %s has no negative sentiment label: alerts go without words", s->cfg.model.dir);
    return 0;
fail:
    service_close(s);
    return -1;
}

pl_options service_pipeline_options(const service *s) {
    return (pl_options){
        .cls = s->cls,
        .alerts = s->alerts,
        .window_size_ms = s->cfg.windows.size_ms,
        .window_advance_ms = s->cfg.windows.advance_ms,
        .max_batch_wait_ms = (int)s->cfg.model.max_batch_wait_ms,
        .batch_events = 64,
        .queue_capacity = s->cfg.ingest.queue_capacity,
        .max_pending_runs = (size_t)s->cfg.ingest.max_pending_runs,
        .max_uncounted_share = s->cfg.model.max_uncounted_share,
    };
}

void service_close(service *s) {
    http_endpoint_stop(s->http);
    if (s->alerts) alerts_destroy(s->alerts, 5000);
    wired_alerts_free(&s->wa);
    aw_free(s->words);
    cls_close(s->cls);
    cls_close(s->explain_cls);
    lm_free(s->labels);
    cfg_free(&s->cfg);
    free(s->path);
    free(s->model_dir);
    free(s->outbox_dir);
    memset(s, 0, sizeof *s);
}

void service_print_summary(const service *s, const pl_stats *st, long dead_letters) {
    alerts_metrics m = alerts_get_metrics(s->alerts);
    double rate = st->seconds > 0 ? (double)st->classified / st->seconds : 0;
    fprintf(stderr,
            "finsent: %lld events classified (%.0f/s), %ld dead letters, %lld late, %lld windows closed; "
            "alerts: %lld fired, %lld repeated, %lld resolved, %lld silenced; deliveries: %lld done, %lld failed, "
            "%lld pending\n",
            (long long)st->classified, rate, dead_letters, (long long)m.late_events, (long long)m.windows_closed,
            (long long)m.fired, (long long)m.repeated, (long long)m.resolved, (long long)m.suppressed,
            (long long)m.delivered, (long long)m.failed, (long long)m.pending);
}
