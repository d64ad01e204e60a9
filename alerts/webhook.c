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
#include "alerts/sign.h"
#include "util/log.h"
#include "util/rng.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

typedef struct wh_sink {
    wh_config cfg; /* strings owned */
    int in_flight;
} wh_sink;

typedef struct wh_job {
    int sink;
    uint64_t seq;
    char *id;
    char *body; /* the sink's view */
    int64_t created_ms;
    int attempts;
    int64_t next_at_ms;
    CURL *easy; /* non-NULL while in flight */
    struct curl_slist *hdrs;
    long retry_after_s;
    char errbuf[CURL_ERROR_SIZE];
} wh_job;

struct wh_client {
    CURLM *multi;
    wh_sink *sinks;
    int n_sinks;
    wh_job **jobs; /* in submission order */
    int n_jobs, cap_jobs;
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

wh_client *wh_create(wh_done_fn done, void *ud) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    wh_client *c = xcalloc(1, sizeof *c);
    c->multi = curl_multi_init();
    if (!c->multi) abort();
    c->done = done;
    c->ud = ud;
    rng_seed(&c->rng, (uint64_t)time_mono_ns() ^ ((uint64_t)getpid() << 32), (uint64_t)(uintptr_t)c);
    return c;
}

static void job_free(wh_client *c, wh_job *j) {
    if (j->easy) {
        curl_multi_remove_handle(c->multi, j->easy);
        curl_easy_cleanup(j->easy);
    }
    curl_slist_free_all(j->hdrs);
    free(j->id);
    free(j->body);
    free(j);
}

static char *dup_opt(const char *s) { return s ? xstrdup(s) : NULL; }

void wh_destroy(wh_client *c) {
    if (!c) return;
    for (int i = 0; i < c->n_jobs; i++) job_free(c, c->jobs[i]);
    free(c->jobs);
    for (int i = 0; i < c->n_sinks; i++) {
        wh_config *k = &c->sinks[i].cfg;
        free((char *)k->name);
        free((char *)k->url);
        free((char *)k->secret);
        free((char *)k->routing_key);
        free((char *)k->failed_file);
    }
    free(c->sinks);
    curl_multi_cleanup(c->multi);
    free(c);
    curl_global_cleanup();
}

static int sink_index(const wh_client *c, const char *name) {
    for (int i = 0; i < c->n_sinks; i++)
        if (strcmp(c->sinks[i].cfg.name, name) == 0) return i;
    return -1;
}

int wh_has_sink(const wh_client *c, const char *name) { return sink_index(c, name) >= 0; }

int wh_add_sink(wh_client *c, const wh_config *cfg, char *err, size_t errlen) {
    if (!cfg->name || !cfg->name[0]) {
        snprintf(err, errlen, "webhook sink: a name is required");
        return -1;
    }
    if (sink_index(c, cfg->name) >= 0) {
        snprintf(err, errlen, "webhook sink \"%s\": defined twice", cfg->name);
        return -1;
    }
    if (!cfg->url || (strncasecmp(cfg->url, "http://", 7) != 0 && strncasecmp(cfg->url, "https://", 8) != 0)) {
        snprintf(err, errlen, "webhook sink \"%s\": url must start with http:// or https://", cfg->name);
        return -1;
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
    j->next_at_ms = 0;
    if (c->n_jobs == c->cap_jobs) {
        c->cap_jobs = c->cap_jobs ? c->cap_jobs * 2 : 32;
        c->jobs = xrealloc(c->jobs, sizeof *c->jobs * (size_t)c->cap_jobs);
    }
    c->jobs[c->n_jobs++] = j;
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

static void start_job(wh_client *c, wh_job *j) {
    wh_sink *s = &c->sinks[j->sink];
    CURL *e = curl_easy_init();
    if (!e) abort();
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
    j->easy = e;
    j->attempts++;
    s->in_flight++;
    curl_multi_add_handle(c->multi, e);
}

/* 1 when an earlier delivery of the same alert to the same sink is still
 * unfinished: deliveries of one alert (firing, repeats, resolved) go in order. */
static int waits_for_earlier(const wh_client *c, int i) {
    const wh_job *j = c->jobs[i];
    for (int k = 0; k < i; k++)
        if (c->jobs[k]->sink == j->sink && strcmp(c->jobs[k]->id, j->id) == 0) return 1;
    return 0;
}

static void start_due(wh_client *c, int64_t now) {
    for (int i = 0; i < c->n_jobs; i++) {
        wh_job *j = c->jobs[i];
        if (!j->easy && j->next_at_ms <= now && c->sinks[j->sink].in_flight < c->sinks[j->sink].cfg.max_in_flight &&
            !waits_for_earlier(c, i))
            start_job(c, j);
    }
}

static void remove_job(wh_client *c, wh_job *j) {
    for (int i = 0; i < c->n_jobs; i++)
        if (c->jobs[i] == j) {
            memmove(c->jobs + i, c->jobs + i + 1, sizeof *c->jobs * (size_t)(c->n_jobs - i - 1));
            c->n_jobs--;
            break;
        }
    job_free(c, j);
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

static void finish(wh_client *c, wh_job *j, CURLcode res) {
    wh_sink *s = &c->sinks[j->sink];
    long code = 0;
    curl_off_t total_us = 0;
    curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_getinfo(j->easy, CURLINFO_TOTAL_TIME_T, &total_us);
    curl_multi_remove_handle(c->multi, j->easy);
    curl_easy_cleanup(j->easy);
    j->easy = NULL;
    s->in_flight--;
    int64_t now = time_now_ms();
    char reason[CURL_ERROR_SIZE + 64];
    int ok = res == CURLE_OK && code / 100 == 2;
    int retryable = res != CURLE_OK || code == 408 || code == 429 || code >= 500;
    if (c->latency)
        metrics_hist_observe(ok ? &c->latency->ok : retryable ? &c->latency->retryable : &c->latency->rejected,
                             (double)total_us / 1e6);
    if (ok) {
        c->counts.delivered++;
        c->done(j->seq, s->cfg.name, OUTBOX_DELIVERED, NULL, c->ud);
        remove_job(c, j);
        return;
    }
    if (res != CURLE_OK)
        snprintf(reason, sizeof reason, "%s", j->errbuf[0] ? j->errbuf : curl_easy_strerror(res));
    else
        snprintf(reason, sizeof reason, "HTTP %ld", code);
    if (!retryable) {
        c->counts.rejected++;
        log_warn("webhook", "sink %s rejected alert %s (%s); not retried, recorded as failed", s->cfg.name, j->id,
                 reason);
        write_failed(s, j, code, reason);
        c->done(j->seq, s->cfg.name, OUTBOX_FAILED, reason, c->ud);
        remove_job(c, j);
        return;
    }
    if (now - j->created_ms >= s->cfg.give_up_after_ms) {
        char why[CURL_ERROR_SIZE + 160];
        snprintf(why, sizeof why, "gave up after %d attempts over %lld ms: %s", j->attempts,
                 (long long)(now - j->created_ms), reason);
        c->counts.gave_up++;
        log_error("webhook", "sink %s: alert %s not delivered: %s", s->cfg.name, j->id, why);
        write_failed(s, j, code, why);
        c->done(j->seq, s->cfg.name, OUTBOX_FAILED, why, c->ud);
        remove_job(c, j);
        return;
    }
    int64_t d = s->cfg.backoff_initial_ms;
    for (int i = 1; i < j->attempts && d < s->cfg.backoff_max_ms; i++) d *= 2;
    if (d > s->cfg.backoff_max_ms) d = s->cfg.backoff_max_ms;
    d = d / 2 + (int64_t)(rng_u64(&c->rng) % (uint64_t)(d / 2 + 1));
    if (j->retry_after_s > 0 && j->retry_after_s * 1000 > d) d = j->retry_after_s * 1000;
    j->next_at_ms = now + d;
    c->counts.retries++;
    log_debug("webhook", "sink %s: alert %s attempt %d failed (%s); retry in %lld ms", s->cfg.name, j->id,
              j->attempts, reason, (long long)d);
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
    curl_multi_perform(c->multi, &running);
    int finished = drain_messages(c);
    int64_t wait = timeout_ms;
    for (int i = 0; i < c->n_jobs; i++) {
        const wh_job *j = c->jobs[i];
        if (!j->easy && c->sinks[j->sink].in_flight < c->sinks[j->sink].cfg.max_in_flight && j->next_at_ms - now < wait)
            wait = j->next_at_ms - now;
    }
    if (finished == 0 && wait > 0) curl_multi_poll(c->multi, NULL, 0, (int)wait, NULL);
    curl_multi_perform(c->multi, &running);
    finished += drain_messages(c);
    start_due(c, time_now_ms());
    curl_multi_perform(c->multi, &running);
    return finished;
}

int wh_pending(const wh_client *c) { return c->n_jobs; }
wh_counts wh_get_counts(const wh_client *c) { return c->counts; }
