/* errmsg — the "one line into a caller's buffer" error convention.
 *
 * Functions that can fail take (char *err, size_t errlen) and, on failure,
 * write one line there with err_set; callers print it once. */
#ifndef FINSENT_ERRMSG_H
#define FINSENT_ERRMSG_H

#include <stdarg.h>
#include <stddef.h>

/* printf into err (truncated to errlen), control characters (a newline
 * quoted from a file) shown as '?' so that it stays one line; a NULL or
 * empty buffer is a no-op. Returns -1 so that `return err_set(...)` reads
 * as a failure. */
int err_set(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* err_set with a va_list, for a module's own failure helper (one that also
 * records a reason code, say). Returns -1. */
int err_vset(char *err, size_t errlen, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

#endif
