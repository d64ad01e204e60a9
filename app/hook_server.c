/* hook_server — recording, misbehaving HTTP server on loopback; see hook_server.h. */
#include "app/hook_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alerts/sign.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

struct http_server {
    struct MHD_Daemon *d;
    int port;
    char *secret;
    pthread_mutex_t lock;
    enum hs_mode mode;
    int mode_count;
    int retry_after_s;
    int stall_ms;
    volatile int stopping;
    hs_request_fn on_request;
    void *on_request_ud;
    hs_request *reqs;
    int n, cap;
};

typedef struct conn {
    char *body;
    size_t len, cap;
} conn;

static char *dup_or_null(const char *s) { return s ? xstrdup(s) : NULL; }

static enum hs_mode next_mode(http_server *s) {
    pthread_mutex_lock(&s->lock);
    enum hs_mode m = s->mode;
    if (m != HS_OK && s->mode_count > 0 && --s->mode_count == 0) s->mode = HS_OK;
    pthread_mutex_unlock(&s->lock);
    return m;
}

static void record(http_server *s, struct MHD_Connection *c, const char *method, const char *url, conn *cc,
                   int status) {
    hs_request r = {0};
    r.method = xstrdup(method);
    r.path = xstrdup(url);
    r.body = cc->body ? xstrndup(cc->body, cc->len) : xstrdup("");
    r.body_len = cc->len;
    r.idempotency_key = dup_or_null(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key"));
    r.signature = dup_or_null(MHD_lookup_connection_value(c, MHD_HEADER_KIND, SIGN_HEADER));
    r.content_type = dup_or_null(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"));
    r.sig_valid = s->secret && r.signature &&
                  sign_verify(s->secret, r.signature, r.body, r.body_len, time(NULL), 300) == 0;
    r.status = status;
    r.at_ms = time_now_ms();
    pthread_mutex_lock(&s->lock);
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->reqs = xrealloc(s->reqs, sizeof *s->reqs * (size_t)s->cap);
    }
    s->reqs[s->n++] = r;
    hs_request_fn fn = s->on_request;
    void *ud = s->on_request_ud;
    pthread_mutex_unlock(&s->lock);
    if (fn) fn(&r, ud);
}

static enum MHD_Result respond(struct MHD_Connection *c, int status, const char *body, int retry_after) {
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    if (retry_after >= 0) {
        char v[16];
        snprintf(v, sizeof v, "%d", retry_after);
        MHD_add_response_header(resp, "Retry-After", v);
    }
    enum MHD_Result rc = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                               const char *version, const char *upload, size_t *upload_size, void **con_cls) {
    (void)version;
    http_server *s = cls;
    if (!*con_cls) {
        *con_cls = xcalloc(1, sizeof(conn));
        return MHD_YES;
    }
    conn *cc = *con_cls;
    if (*upload_size) {
        if (cc->len + *upload_size + 1 > cc->cap) {
            cc->cap = (cc->len + *upload_size) * 2 + 1;
            cc->body = xrealloc(cc->body, cc->cap);
        }
        memcpy(cc->body + cc->len, upload, *upload_size);
        cc->len += *upload_size;
        *upload_size = 0;
        return MHD_YES;
    }
    switch (next_mode(s)) {
    case HS_500: record(s, c, method, url, cc, 500); return respond(c, 500, "{\"error\":\"injected\"}", -1);
    case HS_429: record(s, c, method, url, cc, 429); return respond(c, 429, "{\"error\":\"slow down\"}", s->retry_after_s);
    case HS_400: record(s, c, method, url, cc, 400); return respond(c, 400, "{\"error\":\"bad request\"}", -1);
    case HS_CLOSE: record(s, c, method, url, cc, 0); return MHD_NO;
    case HS_STALL:
        for (int waited = 0; waited < s->stall_ms && !s->stopping; waited += 10) usleep(10000);
        /* fall through: answer after the stall */
    case HS_OK: break;
    }
    record(s, c, method, url, cc, 200);
    return respond(c, 200, "{\"ok\":true}", -1);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
    (void)cls;
    (void)c;
    (void)toe;
    conn *cc = *con_cls;
    if (cc) {
        free(cc->body);
        free(cc);
    }
    *con_cls = NULL;
}

static struct MHD_Daemon *listen_on(http_server *s, int port) {
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, handler,
                            s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_LISTENING_ADDRESS_REUSE,
                            (unsigned int)1, MHD_OPTION_NOTIFY_COMPLETED, completed, s,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30, MHD_OPTION_END);
}

http_server *hs_start(const char *secret) {
    http_server *s = xcalloc(1, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    s->secret = dup_or_null(secret);
    s->retry_after_s = 1;
    s->stall_ms = 1000;
    s->d = listen_on(s, 0);
    if (!s->d) {
        hs_stop(s);
        return NULL;
    }
    s->port = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT)->port;
    return s;
}

void hs_stop(http_server *s) {
    if (!s) return;
    s->stopping = 1;
    if (s->d) MHD_stop_daemon(s->d);
    for (int i = 0; i < s->n; i++) hs_request_clear(&s->reqs[i]);
    free(s->reqs);
    free(s->secret);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

int hs_port(const http_server *s) { return s->port; }

char *hs_url(const http_server *s, const char *path) { return xasprintf("http://127.0.0.1:%d%s", s->port, path); }

void hs_set_mode(http_server *s, enum hs_mode mode, int count) {
    pthread_mutex_lock(&s->lock);
    s->mode = mode;
    s->mode_count = count;
    pthread_mutex_unlock(&s->lock);
}

void hs_set_retry_after(http_server *s, int seconds) { s->retry_after_s = seconds; }
void hs_set_stall_ms(http_server *s, int ms) { s->stall_ms = ms; }

void hs_set_on_request(http_server *s, hs_request_fn fn, void *ud) {
    pthread_mutex_lock(&s->lock);
    s->on_request = fn;
    s->on_request_ud = ud;
    pthread_mutex_unlock(&s->lock);
}

int hs_pause(http_server *s) {
    if (s->d) MHD_stop_daemon(s->d);
    s->d = NULL;
    return 0;
}

int hs_resume(http_server *s) {
    if (s->d) return 0;
    s->d = listen_on(s, s->port);
    return s->d ? 0 : -1;
}

int hs_count(http_server *s) {
    pthread_mutex_lock(&s->lock);
    int n = s->n;
    pthread_mutex_unlock(&s->lock);
    return n;
}

int hs_get(http_server *s, int i, hs_request *out) {
    pthread_mutex_lock(&s->lock);
    int rc = -1;
    if (i >= 0 && i < s->n) {
        const hs_request *r = &s->reqs[i];
        *out = *r;
        out->method = xstrdup(r->method);
        out->path = xstrdup(r->path);
        out->body = xstrndup(r->body, r->body_len);
        out->idempotency_key = dup_or_null(r->idempotency_key);
        out->signature = dup_or_null(r->signature);
        out->content_type = dup_or_null(r->content_type);
        rc = 0;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

void hs_request_clear(hs_request *r) {
    free(r->method);
    free(r->path);
    free(r->body);
    free(r->idempotency_key);
    free(r->signature);
    free(r->content_type);
    memset(r, 0, sizeof *r);
}

static int count_ok(http_server *s, const char *id) {
    pthread_mutex_lock(&s->lock);
    int k = 0;
    for (int i = 0; i < s->n; i++)
        if (s->reqs[i].status / 100 == 2 &&
            (!id || (s->reqs[i].idempotency_key && strcmp(s->reqs[i].idempotency_key, id) == 0)))
            k++;
    pthread_mutex_unlock(&s->lock);
    return k;
}

int hs_count_ok_id(http_server *s, const char *id) { return count_ok(s, id); }
int hs_count_ok(http_server *s) { return count_ok(s, NULL); }
