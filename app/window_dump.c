/* window_dump — closed windows as text lines; see window_dump.h. */
#include "app/window_dump.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/errmsg.h"
#include "util/xalloc.h"

struct window_dump {
    FILE *f;
};

window_dump *window_dump_open(const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "a");
    if (!f) {
        err_set(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    window_dump *d = xcalloc(1, sizeof *d);
    d->f = f;
    return d;
}

static void on_window(const win_result *r, const bl_state *baseline, int baseline_ready, void *ud) {
    (void)baseline;
    (void)baseline_ready;
    window_dump *d = ud;
    fprintf(d->f, "%s\t%lld\t%lld\t%lld\t%lld\t%lld\t%lld\n", r->key->name, (long long)r->start_ms,
            (long long)r->end_ms, (long long)r->stats.count, (long long)r->stats.negatives,
            (long long)r->stats.neutrals, (long long)r->stats.positives);
    fflush(d->f);
}

alerts_observer window_dump_observer(window_dump *d) { return (alerts_observer){.on_window = on_window, .ud = d}; }

void window_dump_close(window_dump *d) {
    if (!d) return;
    fclose(d->f);
    free(d);
}
