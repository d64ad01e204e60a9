/* errmsg — see errmsg.h. */
#include "util/errmsg.h"

#include <stdarg.h>
#include <stdio.h>

int err_vset(char *err, size_t errlen, const char *fmt, va_list ap) {
    if (!err || !errlen) return -1;
    vsnprintf(err, errlen, fmt, ap);
    /* one line: names and values quoted from a file may hold control characters */
    for (char *p = err; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = '?';
    return -1;
}

int err_set(char *err, size_t errlen, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    err_vset(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}
