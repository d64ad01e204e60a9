/* cmd_mock_webhook — `finsent mock-webhook`: a webhook receiver on
 * loopback for trying sinks and for tests. Prints "url=http://127.0.0.1:PORT"
 * on stdout, then one JSON line per request received (path, idempotency
 * key, whether the signature verified, the body), answers 200, and runs
 * until SIGINT or SIGTERM. */
#include <cJSON.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "app/commands.h"
#include "app/hook_server.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: finsent mock-webhook [--secret-env NAME]\n\n"
            "Runs an HTTP receiver on 127.0.0.1 (an ephemeral port), prints one line\n"
            "  url=http://127.0.0.1:PORT\n"
            "on stdout, then one JSON line per request:\n"
            "  {\"path\":…,\"idempotency_key\":…,\"signature_valid\":…,\"body\":…}\n"
            "answers 200 to every request, and serves until SIGINT or SIGTERM.\n\n"
            "options:\n"
            "  --secret-env NAME   verify Finsent-Signature with the secret in $NAME\n"
            "                      (signature_valid is false without it)\n"
            "  -h, --help          this text\n\n"
            "example:\n"
            "  FINSENT_WEBHOOK_SECRET=s finsent mock-webhook --secret-env FINSENT_WEBHOOK_SECRET &\n"
            "  # then point a webhook sink's url at the printed url\n");
}

/* One JSON line per request, from a server thread. */
static void print_request(const hs_request *r, void *ud) {
    (void)ud;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "path", r->path ? r->path : "");
    if (r->idempotency_key) cJSON_AddStringToObject(o, "idempotency_key", r->idempotency_key);
    else cJSON_AddNullToObject(o, "idempotency_key");
    cJSON_AddBoolToObject(o, "signature_valid", r->sig_valid);
    cJSON *body = r->body ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
    if (body) cJSON_AddItemToObject(o, "body", body);
    else cJSON_AddStringToObject(o, "body", r->body ? r->body : "");
    char *line = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!line) return;
    flockfile(stdout);
    fputs(line, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    funlockfile(stdout);
    cJSON_free(line);
}

int cmd_mock_webhook(int argc, char **argv) {
    static const struct option opts[] = {
        {"secret-env", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *secret = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            secret = getenv(optarg);
            if (!secret || !*secret)
                return cli_usage_error("mock-webhook", "--secret-env: $%s is not set", optarg);
            break;
        case 'h': usage(stdout); return 0;
        default: return cli_usage_error("mock-webhook", "unknown option");
        }
    }
    if (optind < argc) return cli_usage_error("mock-webhook", "unexpected argument \"%s\"", argv[optind]);
    http_server *s = hs_start(secret);
    if (!s) return cli_fail("mock-webhook", "cannot listen on 127.0.0.1");
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    hs_set_on_request(s, print_request, NULL);
    flockfile(stdout);
    printf("url=http://127.0.0.1:%d\n", hs_port(s));
    fflush(stdout);
    funlockfile(stdout);
    while (!stop_requested) {
        struct timespec ts = {0, 100 * 1000000};
        nanosleep(&ts, NULL);
    }
    hs_stop(s);
    return 0;
}
