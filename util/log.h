/* log — levelled logging to stderr.
 *
 * Human-readable text when stderr is a terminal, JSON lines otherwise (or
 * when forced with log_set_format). Thread-safe: one line is written with
 * one call. Secrets must never be passed here; callers mask them first
 * (cfg_to_json masks them when printing a config). */
#ifndef FINSENT_LOG_H
#define FINSENT_LOG_H

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF };
enum log_format { LOG_FORMAT_AUTO = 0, LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_set_format(enum log_format fmt);
/* Parses "debug|info|warn|error|off"; returns -1 when unknown. */
int log_level_parse(const char *s);
/* Parses "auto|text|json"; returns -1 when unknown. */
int log_format_parse(const char *s);

void log_msg(enum log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(mod, ...) log_msg(LOG_DEBUG, (mod), __VA_ARGS__)
#define log_info(mod, ...)  log_msg(LOG_INFO, (mod), __VA_ARGS__)
#define log_warn(mod, ...)  log_msg(LOG_WARN, (mod), __VA_ARGS__)
#define log_error(mod, ...) log_msg(LOG_ERROR, (mod), __VA_ARGS__)

#endif
