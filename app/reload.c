/* reload — config reload on SIGHUP; see reload.h. */
#include "app/reload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/xalloc.h"

/* Top-level config sections a reload applies; the others need a restart. */
static const char *const live_sections[] = {"rules", "silences", "sinks"};

static int is_live(const char *key) {
    for (size_t i = 0; i < sizeof live_sections / sizeof *live_sections; i++)
        if (strcmp(key, live_sections[i]) == 0) return 1;
    return 0;
}

/* Logs the sections that differ between the running config and the new
 * one but cannot change live. Secrets compare as "***". */
static void report_restart_only(const service *s, const fs_config *nc) {
    cJSON *old = cfg_to_json(&cfg_finsent_schema, &s->cfg), *new = cfg_to_json(&cfg_finsent_schema, nc);
    char list[256] = "";
    size_t len = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, new) {
        if (is_live(item->string)) continue;
        if (cJSON_Compare(item, cJSON_GetObjectItemCaseSensitive(old, item->string), 1)) continue;
        int n = snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "", item->string);
        if (n < 0 || (size_t)n >= sizeof list - len) break; /* a truncated list still names the first ones */
        len += (size_t)n;
    }
    if (len) log_warn("reload", "%s: changed sections need a restart and are ignored until then: %s", s->path, list);
    cJSON_Delete(old);
    cJSON_Delete(new);
}

static int rejected(service *s, const char *why) {
    s->reloads_failed++;
    log_error("reload", "config reload rejected, the running config stays: %s", why);
    return -1;
}

static void swap_live(fs_config *a, fs_config *b) {
    __typeof__(a->rules) r = a->rules;
    a->rules = b->rules;
    b->rules = r;
    __typeof__(a->silences) si = a->silences;
    a->silences = b->silences;
    b->silences = si;
    __typeof__(a->sinks) sk = a->sinks;
    a->sinks = b->sinks;
    b->sinks = sk;
}

int reload_apply(service *s) {
    char err[512];
    fs_config nc;
    log_info("reload", "SIGHUP: reloading %s", s->path);
    if (cfg_load(s->path, &nc, err, sizeof err) < 0) return rejected(s, err);
    /* the command-line overrides of start still hold */
    if (s->model_dir) {
        free(nc.model.dir);
        nc.model.dir = xstrdup(s->model_dir);
    }
    if (s->outbox_dir) {
        free(nc.outbox.dir);
        nc.outbox.dir = xstrdup(s->outbox_dir);
    }
    /* the running config with the new live sections */
    fs_config merged = s->cfg;
    swap_live(&merged, &nc);
    wired_alerts w;
    int rc = wire_alerts(&merged, &w, err, sizeof err);
    if (rc == 0) {
        if (s->flags & SERVICE_NO_SINKS) service_drop_sinks(&w);
        rc = alerts_reload(s->alerts, &w.opt, err, sizeof err);
        if (rc < 0) wired_alerts_free(&w);
    }
    swap_live(&merged, &nc); /* nc holds the new live sections again */
    if (rc < 0) {
        cfg_free(&nc);
        return rejected(s, err);
    }
    report_restart_only(s, &nc);
    /* the running config takes the new live sections; nc takes the old ones away */
    swap_live(&s->cfg, &nc);
    wired_alerts_free(&s->wa);
    s->wa = w;
    cfg_free(&nc);
    s->reloads_ok++;
    log_info("reload", "%s: reloaded: %zu rule(s), %zu silence(s), %zu sink(s)", s->path, s->cfg.rules.n,
             s->cfg.silences.n, s->cfg.sinks.n);
    return 0;
}

void reload_collect(metrics_writer *w, void *arg) {
    service *s = arg;
    const char *help = "Config reloads (SIGHUP) by result: ok, or error (rejected, the running config stays).";
    mw_counter(w, "finsent_config_reloads_total", help, "result=\"ok\"", (double)s->reloads_ok);
    mw_counter(w, "finsent_config_reloads_total", help, "result=\"error\"", (double)s->reloads_failed);
}
