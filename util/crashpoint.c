/* crashpoint — kill -9 at a named place, for the crash tests; see crashpoint.h. */
#include "util/crashpoint.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char want[64];
static long at;
static atomic_long hits;

static void parse(void) {
    const char *v = getenv("FINSENT_CRASHPOINT");
    const char *colon = v ? strrchr(v, ':') : NULL;
    if (!colon || (size_t)(colon - v) >= sizeof want) return;
    memcpy(want, v, (size_t)(colon - v));
    want[colon - v] = 0;
    at = strtol(colon + 1, NULL, 10);
}

void crashpoint(const char *name) {
    pthread_once(&once, parse);
    if (!want[0] || strcmp(name, want) != 0) return;
    if (atomic_fetch_add(&hits, 1) + 1 == at) kill(getpid(), SIGKILL);
}
