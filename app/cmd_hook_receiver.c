/* cmd_hook_receiver — `finsent hook-receiver`: a webhook receiver on
 * 127.0.0.1 for trying and testing (app/hook_server.h). Prints
 * "url=http://127.0.0.1:PORT/alerts", then one line per delivery:
 * ID <tab> STATUS <tab> SIGNATURE (the Idempotency-Key, the body's status,
 * "valid"/"invalid"/"unsigned"), and runs until SIGINT or SIGTERM. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "app/commands.h"
#include "app/hook_server.h"

static volatile sig_atomic_t stop_requested;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *f) {
    fprintf(f, "usage: finsent hook-receiver [--secret-env VAR]\n\n"
               "Receives webhook alerts on 127.0.0.1 (an ephemeral port), answers 200,\n"
               "prints \"url=http://127.0.0.1:PORT/alerts\" and then one line per delivery:\n"
               "  ID<tab>STATUS<tab>valid|invalid|unsigned\n"
               "(the Idempotency-Key header, the alert's status, the signature check),\n"
               "until SIGINT or SIGTERM.\n\n"
               "  --secret-env VAR   verify Finsent-Signature with the secret in $VAR\n\n"
               "example:\n"
               "  FINSENT_WEBHOOK_SECRET=s finsent hook-receiver --secret-env FINSENT_WEBHOOK_SECRET\n");
}

static void on_request(const hs_request *r, void *ud) {
    const char *secret = ud;
    cJSON *j = r->body ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "status");
    pthread_mutex_lock(&out_lock);
    printf("%s\t%s\t%s\n", r->idempotency_key ? r->idempotency_key : "-",
           cJSON_IsString(st) ? st->valuestring : "-",
           !r->signature ? "unsigned" : !secret ? "unchecked" : r->sig_valid ? "valid" : "invalid");
    fflush(stdout);
    pthread_mutex_unlock(&out_lock);
    cJSON_Delete(j);
}

int cmd_hook_receiver(int argc, char **argv) {
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
            if (!secret || !secret[0])
                return cli_usage_error("hook-receiver", "--secret-env: $%s is not set", optarg);
            break;
        case 'h': usage(stdout); return 0;
        default: return cli_usage_error("hook-receiver", "unknown option");
        }
    }
    if (optind < argc) return cli_usage_error("hook-receiver", "unexpected argument \"%s\"", argv[optind]);
    http_server *s = hs_start(secret);
    if (!s) return cli_fail("hook-receiver", "cannot listen on 127.0.0.1");
    hs_set_on_request(s, on_request, (void *)secret);
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    char *url = hs_url(s, "/alerts");
    pthread_mutex_lock(&out_lock);
    printf("url=%s\n", url);
    fflush(stdout);
    pthread_mutex_unlock(&out_lock);
    free(url);
    while (!stop_requested) {
        struct timespec ts = {0, 100 * 1000000};
        nanosleep(&ts, NULL);
    }
    hs_stop(s);
    return 0;
}
