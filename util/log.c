/* log — levelled text or JSON-lines logging; see log.h. */
#include "util/log.h"

#include <cJSON.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static enum log_level g_level = LOG_INFO;
static enum log_format g_format = LOG_FORMAT_AUTO;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *level_names[] = {"debug", "info", "warn", "error", "off"};

void log_set_level(enum log_level level) { g_level = level; }
enum log_level log_get_level(void) { return g_level; }
void log_set_format(enum log_format fmt) { g_format = fmt; }

int log_level_parse(const char *s) {
    for (int i = 0; i <= LOG_OFF; i++)
        if (strcmp(s, level_names[i]) == 0) return i;
    return -1;
}

int log_format_parse(const char *s) {
    if (strcmp(s, "auto") == 0) return LOG_FORMAT_AUTO;
    if (strcmp(s, "text") == 0) return LOG_FORMAT_TEXT;
    if (strcmp(s, "json") == 0) return LOG_FORMAT_JSON;
    return -1;
}

void log_msg(enum log_level level, const char *module, const char *fmt, ...) {
    if (level < g_level || level >= LOG_OFF) return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char ts[40];
    size_t n = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof ts - n, ".%03ldZ", (long)(tv.tv_usec / 1000));

    int json = g_format == LOG_FORMAT_JSON || (g_format == LOG_FORMAT_AUTO && !isatty(STDERR_FILENO));
    pthread_mutex_lock(&g_lock);
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "ts", ts);
        cJSON_AddStringToObject(o, "level", level_names[level]);
        cJSON_AddStringToObject(o, "module", module);
        cJSON_AddStringToObject(o, "msg", msg);
        char *line = cJSON_PrintUnformatted(o);
        if (line) fprintf(stderr, "%s\n", line);
        cJSON_free(line); /* cJSON's allocator: on a decode thread, the JSON arena (util/json_arena.h) */
        cJSON_Delete(o);
    } else {
        fprintf(stderr, "%s %-5s [%s] %s\n", ts, level_names[level], module, msg);
    }
    pthread_mutex_unlock(&g_lock);
}
