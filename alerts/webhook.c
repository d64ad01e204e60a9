/* webhook — libcurl multi delivery with retries and a give-up horizon; see webhook.h. */
#include "alerts/webhook.h"

#include <cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "alerts/payload.h"
#include "alerts/send_queue.h"
#include "alerts/sign.h"
#include "util/errmsg.h"
#include "util/log.h"
#include "util/rng.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

typedef struct wh_sink {
    wh_config cfg; /* strings owned */
    int in_flight;
} wh_sink;

typedef struct wh_job {
    sq_entry q; /* its place in the schedule */
    struct wh_job *prev, *next; /* every job, for wh_destroy */
    int sink;
    uint64_t seq;
    char *id;
    char *body; /* the sink's view */
    int64_t created_ms;
    int attempts;
    CURL *easy; /* non-NULL while in flight */
    struct curl_slist *hdrs;
    long retry_after_s;
    char errbuf[CURL_ERROR_SIZE];
} wh_job;

struct wh_client {
    CURLM *multi;
    wh_sink *sinks;
    int n_sinks;
    send_queue *sched; /* what may start next, per sink, per alert id in order */
    wh_job *jobs;      /* all jobs, a doubly-linked list */
    int n_jobs;
    CURLMcode last_mcode; /* the last multi-interface error logged */
    wh_done_fn done;
    void *ud;
    wh_counts counts;
    wh_latency *latency; /* borrowed; may be NULL */
    rng_pcg rng; /* back-off jitter */
};

void wh_latency_init(wh_latency *l) {
    static const double bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    int n = (int)(sizeof bounds / sizeof bounds[0]);
    metrics_hist_init(&l->ok, bounds, n);
    metrics_hist_init(&l->retryable, bounds, n);
    metrics_hist_init(&l->rejected, bounds, n);
}

void wh_set_latency(wh_client *c, wh_latency *l) { c->latency = l; }

/* Logs a failed curl_multi_* call once per new error code (a broken
 * multi handle fails every poll); returns rc. */
static CURLMcode mcheck(wh_client *c, CURLMcode rc, const char *what) {
    if (rc != CURLM_OK && rc != c->last_mcode)
        log_error("webhook", "%s: %s", what, curl_multi_strerror(rc));
    if (rc != CURLM_OK) c->last_mcode = rc;
    return rc;
}

wh_client *wh_create(wh_done_fn done, void *ud) {
    wh_client *c = xcalloc(1, sizeof *c);
    c->multi = curl_multi_init();
    if (!c->multi) abort(); /* only out of memory */
    c->sched = sq_new();
    c->done = done;
    c->ud = ud;
    rng_seed(&c->rng, (uint64_t)time_mono_ns() ^ ((uint64_t)getpid() << 32), (uint64_t)(uintptr_t)c);
    return c;
}

/* Ends j's request, if any: the handle leaves the multi and is freed. */
static void job_stop(wh_client *c, wh_job *j) {
    if (!j->easy) return;
    mcheck(c, curl_multi_remove_handle(c->multi, j->easy), "curl_multi_remove_handle");
    curl_easy_cleanup(j->easy);
    j->easy = NULL;
    c->sinks[j->sink].in_flight--;
}

static void job_free(wh_client *c, wh_job *j) {
    job_stop(c, j);
    curl_slist_free_all(j->hdrs);
    free(j->id);
    free(j->body);
    free(j);
}

static char *dup_opt(const char *s) { return s ? xstrdup(s) : NULL; }

void wh_destroy(wh_client *c) {
    if (!c) return;
    while (c->jobs) {
        wh_job *j = c->jobs;
        c->jobs = j->next;
        job_free(c, j);
    }
    sq_free(c->sched);
    for (int i = 0; i < c->n_sinks; i++) {
        wh_config *k = &c->sinks[i].cfg;
        free((char *)k->name);
        free((char *)k->url);
        free((char *)k->secret);
        free((char *)k->routing_key);
        free((char *)k->failed_file);
    }
    free(c->sinks);
    mcheck(c, curl_multi_cleanup(c->multi), "curl_multi_cleanup");
    free(c);
}

static int sink_index(const wh_client *c, const char *name) {
    for (int i = 0; i < c->n_sinks; i++)
        if (strcmp(c->sinks[i].cfg.name, name) == 0) return i;
    return -1;
}

int wh_has_sink(const wh_client *c, const char *name) { return sink_index(c, name) >= 0; }

int wh_add_sink(wh_client *c, const wh_config *cfg, char *err, size_t errlen) {
    if (!cfg->name || !cfg->name[0]) {
        return err_set(err, errlen, "webhook sink: a name is required");
    }
    if (sink_index(c, cfg->name) >= 0) {
        return err_set(err, errlen, "webhook sink \"%s\": defined twice", cfg->name);
    }
    if (!cfg->url || (strncasecmp(cfg->url, "http://", 7) != 0 && strncasecmp(cfg->url, "https://", 8) != 0)) {
        return err_set(err, errlen, "webhook sink \"%s\": url must start with http:// or https://", cfg->name);
    }
    c->sinks = xrealloc(c->sinks, sizeof *c->sinks * (size_t)(c->n_sinks + 1));
    wh_sink *s = &c->sinks[c->n_sinks++];
    memset(s, 0, sizeof *s);
    s->cfg = *cfg;
    s->cfg.name = xstrdup(cfg->name);
    s->cfg.url = xstrdup(cfg->url);
    s->cfg.secret = cfg->secret && cfg->secret[0] ? xstrdup(cfg->secret) : NULL;
    s->cfg.routing_key = dup_opt(cfg->routing_key);
    s->cfg.failed_file = dup_opt(cfg->failed_file);
    if (s->cfg.timeout_ms <= 0) s->cfg.timeout_ms = 10000;
    if (s->cfg.max_in_flight <= 0) s->cfg.max_in_flight = 4;
    if (s->cfg.backoff_initial_ms <= 0) s->cfg.backoff_initial_ms = 500;
    if (s->cfg.backoff_max_ms <= 0) s->cfg.backoff_max_ms = 60000;
    if (s->cfg.give_up_after_ms <= 0) s->cfg.give_up_after_ms = 24LL * 3600 * 1000;
    return 0;
}

int wh_submit(wh_client *c, const char *sink, uint64_t seq, const char *alert_id, const char *body,
              int64_t created_ms) {
    int si = sink_index(c, sink);
    if (si < 0) return -1;
    const wh_config *cfg = &c->sinks[si].cfg;
    char *view = cfg->format == WH_SLACK       ? payload_slack(body)
                 : cfg->format == WH_PAGERDUTY ? payload_pagerduty(body, cfg->routing_key)
                                               : xstrdup(body);
    if (!view) return -1;
    wh_job *j = xcalloc(1, sizeof *j);
    j->sink = si;
    j->seq = seq;
    j->id = xstrdup(alert_id);
    j->body = view;
    j->created_ms = created_ms;
    j->next = c->jobs;
    if (c->jobs) c->jobs->prev = j;
    c->jobs = j;
    c->n_jobs++;
    sq_push(c->sched, &j->q, si, alert_id, j);
    return 0;
}

static size_t discard_body(char *p, size_t size, size_t n, void *ud) {
    (void)p;
    (void)ud;
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
    wh_job *j = ud;
    size_t len = size * n;
    if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
        char tmp[32];
        size_t k = len - 12 < sizeof tmp - 1 ? len - 12 : sizeof tmp - 1;
        memcpy(tmp, p + 12, k);
        tmp[k] = 0;
        char *end;
        long v = strtol(tmp, &end, 10);
        if (end != tmp && v >= 0) j->retry_after_s = v; /* an HTTP-date is ignored: back-off applies */
    }
    return len;
}

/* Appends the undelivered alert to the sink's failed-alerts file. */
static void write_failed(const wh_sink *s, const wh_job *j, long status, const char *reason) {
    if (!s->cfg.failed_file) return;
    cJSON *o = cJSON_CreateObject();
    char ts[40];
    time_format(time_now_ms(), ts, sizeof ts);
    cJSON_AddStringToObject(o, "time", ts);
    cJSON_AddStringToObject(o, "sink", s->cfg.name);
    cJSON_AddStringToObject(o, "id", j->id);
    cJSON_AddNumberToObject(o, "status", (double)status);
    cJSON_AddNumberToObject(o, "attempts", j->attempts);
    cJSON_AddStringToObject(o, "reason", reason);
    cJSON *body = cJSON_Parse(j->body);
    if (body) cJSON_AddItemToObject(o, "body", body);
    else cJSON_AddStringToObject(o, "body", j->body);
    char *line = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    int fd = open(s->cfg.failed_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    size_t n = line ? strlen(line) : 0;
    if (line) line[n] = '\n'; /* cJSON's buffer: replace the NUL, write n + 1 bytes */
    if (fd < 0 || !line || write(fd, line, n + 1) != (ssize_t)(n + 1))
        log_error("webhook", "sink %s: cannot record failed alert %s in %s: %s", s->cfg.name, j->id,
                  s->cfg.failed_file, strerror(errno));
    if (fd >= 0) close(fd);
    cJSON_free(line);
}

static void remove_job(wh_client *c, wh_job *j) {
    if (j->prev) j->prev->next = j->next;
    else c->jobs = j->next;
    if (j->next) j->next->prev = j->prev;
    c->n_jobs--;
    job_free(c, j);
}

/* j is finished for good: reported, the next delivery of its alert id to
 * its sink may start, j goes. */
static void job_done(wh_client *c, wh_job *j, enum outbox_state st, const char *reason) {
    c->done(j->seq, c->sinks[j->sink].cfg.name, st, reason, c->ud);
    sq_done(c->sched, &j->q);
    remove_job(c, j);
}

/* An attempt of j did not deliver (status code, 0 without an answer):
 * rejected (not retryable) or past the give-up horizon, it is recorded as
 * failed; else it is due again after the back-off. */
static void attempt_failed(wh_client *c, wh_job *j, long code, int retryable, const char *reason, int64_t now) {
    wh_sink *s = &c->sinks[j->sink];
    if (!retryable) {
        c->counts.rejected++;
        log_warn("webhook", "sink %s rejected alert %s (%s); not retried, recorded as failed", s->cfg.name, j->id,
                 reason);
        write_failed(s, j, code, reason);
        job_done(c, j, OUTBOX_FAILED, reason);
        return;
    }
    if (now - j->created_ms >= s->cfg.give_up_after_ms) {
        char why[CURL_ERROR_SIZE + 160];
        snprintf(why, sizeof why, "gave up after %d attempts over %lld ms: %s", j->attempts,
                 (long long)(now - j->created_ms), reason);
        c->counts.gave_up++;
        log_error("webhook", "sink %s: alert %s not delivered: %s", s->cfg.name, j->id, why);
        write_failed(s, j, code, why);
        job_done(c, j, OUTBOX_FAILED, why);
        return;
    }
    int64_t d = s->cfg.backoff_initial_ms;
    for (int i = 1; i < j->attempts && d < s->cfg.backoff_max_ms; i++) d *= 2;
    if (d > s->cfg.backoff_max_ms) d = s->cfg.backoff_max_ms;
    d = d / 2 + (int64_t)(rng_u64(&c->rng) % (uint64_t)(d / 2 + 1));
    if (j->retry_after_s > 0 && j->retry_after_s * 1000 > d) d = j->retry_after_s * 1000;
    if (d < 1) d = 1; /* not again within this poll */
    sq_retry(c->sched, &j->q, now + d);
    c->counts.retries++;
    log_debug("webhook", "sink %s: alert %s attempt %d failed (%s); retry in %lld ms", s->cfg.name, j->id,
              j->attempts, reason, (long long)d);
}

/* Starts j's next attempt; when libcurl cannot take the request, the
 * attempt counts as failed and j is retried later. */
static void start_job(wh_client *c, wh_job *j, int64_t now) {
    wh_sink *s = &c->sinks[j->sink];
    CURL *e = curl_easy_init();
    if (!e) abort(); /* only out of memory */
    char hdr[256];
    curl_slist_free_all(j->hdrs);
    j->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    j->hdrs = curl_slist_append(j->hdrs, "Expect:");
    j->hdrs = curl_slist_append(j->hdrs, "User-Agent: finsent/" FINSENT_VERSION);
    snprintf(hdr, sizeof hdr, "Idempotency-Key: %s", j->id);
    j->hdrs = curl_slist_append(j->hdrs, hdr);
    if (s->cfg.secret) {
        char sig[SIGN_VALUE_MAX];
        sign_value(s->cfg.secret, (int64_t)time(NULL), j->body, strlen(j->body), sig);
        snprintf(hdr, sizeof hdr, "%s: %s", SIGN_HEADER, sig);
        j->hdrs = curl_slist_append(j->hdrs, hdr);
    }
    j->retry_after_s = 0;
    j->errbuf[0] = 0;
    curl_easy_setopt(e, CURLOPT_URL, s->cfg.url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->hdrs);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, j->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(j->body));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)s->cfg.timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(s->cfg.timeout_ms < 5000 ? s->cfg.timeout_ms : 5000));
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, s->cfg.tls_verify ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, s->cfg.tls_verify ? 2L : 0L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard_body);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, j);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->errbuf);
    curl_easy_setopt(e, CURLOPT_PRIVATE, j);
    j->attempts++;
    CURLMcode rc = mcheck(c, curl_multi_add_handle(c->multi, e), "curl_multi_add_handle");
    if (rc != CURLM_OK) {
        curl_easy_cleanup(e);
        char reason[128];
        snprintf(reason, sizeof reason, "cannot start the request: %s", curl_multi_strerror(rc));
        attempt_failed(c, j, 0, 1, reason, now);
        return;
    }
    j->easy = e;
    s->in_flight++;
}

/* Starts what the schedule has due, as far as each sink's max_in_flight
 * allows. */
static void start_due(wh_client *c, int64_t now) {
    for (int si = 0; si < c->n_sinks; si++) {
        sq_entry *e;
        while (c->sinks[si].in_flight < c->sinks[si].cfg.max_in_flight && (e = sq_pop(c->sched, si, now)))
            start_job(c, e->owner, now);
    }
}

static void finish(wh_client *c, wh_job *j, CURLcode res) {
    long code = 0;
    curl_off_t total_us = 0;
    curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_getinfo(j->easy, CURLINFO_TOTAL_TIME_T, &total_us);
    job_stop(c, j);
    int ok = res == CURLE_OK && code / 100 == 2;
    int retryable = res != CURLE_OK || code == 408 || code == 429 || code >= 500;
    if (c->latency)
        metrics_hist_observe(ok ? &c->latency->ok : retryable ? &c->latency->retryable : &c->latency->rejected,
                             (double)total_us / 1e6);
    if (ok) {
        c->counts.delivered++;
        job_done(c, j, OUTBOX_DELIVERED, NULL);
        return;
    }
    char reason[CURL_ERROR_SIZE + 64];
    if (res != CURLE_OK)
        snprintf(reason, sizeof reason, "%s", j->errbuf[0] ? j->errbuf : curl_easy_strerror(res));
    else
        snprintf(reason, sizeof reason, "HTTP %ld", code);
    attempt_failed(c, j, code, retryable, reason, time_now_ms());
}

static int drain_messages(wh_client *c) {
    int finished = 0, left;
    CURLMsg *m;
    while ((m = curl_multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE) continue;
        wh_job *j = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
        finish(c, j, m->data.result);
        finished++;
    }
    return finished;
}

int wh_poll(wh_client *c, int timeout_ms) {
    int running = 0;
    int64_t now = time_now_ms();
    start_due(c, now);
    mcheck(c, curl_multi_perform(c->multi, &running), "curl_multi_perform");
    int finished = drain_messages(c);
    int64_t wait = timeout_ms;
    for (int si = 0; si < c->n_sinks; si++) {
        if (c->sinks[si].in_flight >= c->sinks[si].cfg.max_in_flight) continue;
        int64_t due = sq_next_due(c->sched, si, now);
        if (due != INT64_MAX && due - now < wait) wait = due - now;
    }
    if (finished == 0 && wait > 0) mcheck(c, curl_multi_poll(c->multi, NULL, 0, (int)wait, NULL), "curl_multi_poll");
    mcheck(c, curl_multi_perform(c->multi, &running), "curl_multi_perform");
    finished += drain_messages(c);
    start_due(c, time_now_ms());
    mcheck(c, curl_multi_perform(c->multi, &running), "curl_multi_perform");
    return finished;
}

int wh_pending(const wh_client *c) { return c->n_jobs; }
wh_counts wh_get_counts(const wh_client *c) { return c->counts; }
