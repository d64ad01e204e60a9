/* http_endpoint — /metrics, /healthz, /readyz over libmicrohttpd; see
 * http_endpoint.h. */
#include "app/http_endpoint.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/errmsg.h"
#include "util/xalloc.h"

#define MAX_COLLECTORS 16

struct http_endpoint {
    struct MHD_Daemon *daemon;
    int port;
    atomic_int ready;
    http_ready_fn check;
    void *check_arg;
    int n;
    metrics_collect_fn fns[MAX_COLLECTORS];
    void *args[MAX_COLLECTORS];
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *type, char *body, int owned) {
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(body), body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

/* 1 when /readyz would answer 200. */
static int is_ready(http_endpoint *h, char *why, size_t len) {
    if (!atomic_load(&h->ready)) return snprintf(why, len, "starting or draining"), 0;
    return !h->check || h->check(h->check_arg, why, len);
}

/* The endpoint's own collector: finsent_ready, what /readyz says, so that
 * a scrape (and an alerting rule) sees it. */
static void ready_collect(metrics_writer *w, void *arg) {
    char why[512];
    mw_gauge(w, "finsent_ready", "1 while /readyz answers 200 (consuming, and labels are counted).", "",
             is_ready(arg, why, sizeof why));
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **state) {
    (void)version, (void)upload, (void)upload_size, (void)state;
    http_endpoint *h = cls;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return reply(c, 405, "text/plain", "method not allowed\n", 0);
    if (strcmp(url, "/metrics") == 0)
        return reply(c, 200, "text/plain; version=0.0.4", metrics_render(h->fns, h->args, h->n), 1);
    if (strcmp(url, "/healthz") == 0) return reply(c, 200, "text/plain", "ok\n", 0);
    if (strcmp(url, "/readyz") == 0) {
        if (!atomic_load(&h->ready)) return reply(c, 503, "text/plain", "not ready\n", 0);
        char why[512];
        if (!is_ready(h, why, sizeof why)) return reply(c, 503, "text/plain", xasprintf("not ready: %s\n", why), 1);
        return reply(c, 200, "text/plain", "ready\n", 0);
    }
    return reply(c, 404, "text/plain", "not found: try /metrics, /healthz, /readyz\n", 0);
}

static int parse_listen(const char *listen, struct sockaddr_in *sa, char *err, size_t errlen) {
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen) {
        return err_set(err, errlen, "metrics.listen: expected host:port, got \"%s\"", listen);
    }
    char host[64];
    size_t hl = (size_t)(colon - listen);
    if (hl >= sizeof host) hl = sizeof host - 1;
    memcpy(host, listen, hl);
    host[hl] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || colon[1] == '\0' || port < 0 || port > 65535) {
        return err_set(err, errlen, "metrics.listen: expected a port 0-65535, got \"%s\"", colon + 1);
    }
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (strcmp(host, "localhost") == 0) strcpy(host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
        return err_set(err, errlen, "metrics.listen: expected an IPv4 address or localhost, got \"%s\"", host);
    }
    return 0;
}

http_endpoint *http_endpoint_start(const char *listen, char *err, size_t errlen) {
    struct sockaddr_in sa;
    if (parse_listen(listen, &sa, err, errlen) < 0) return NULL;
    http_endpoint *h = xcalloc(1, sizeof *h);
    h->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, handle, h,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_END);
    if (!h->daemon) {
        err_set(err, errlen, "metrics.listen: cannot listen on %s (address in use or not local)", listen);
        free(h);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : ntohs(sa.sin_port);
    http_endpoint_add_collector(h, ready_collect, h);
    return h;
}

void http_endpoint_add_collector(http_endpoint *h, metrics_collect_fn fn, void *arg) {
    if (h->n >= MAX_COLLECTORS) return;
    h->fns[h->n] = fn;
    h->args[h->n] = arg;
    h->n++;
}

void http_endpoint_set_ready(http_endpoint *h, int ready) { atomic_store(&h->ready, ready); }

void http_endpoint_set_ready_check(http_endpoint *h, http_ready_fn check, void *arg) {
    h->check = check;
    h->check_arg = arg;
}

int http_endpoint_port(const http_endpoint *h) { return h->port; }

void http_endpoint_stop(http_endpoint *h) {
    if (!h) return;
    MHD_stop_daemon(h->daemon);
    free(h);
}
