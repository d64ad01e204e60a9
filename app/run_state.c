/* run_state — state.dir for `finsent run`; see run_state.h. */
#include "app/run_state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/errmsg.h"
#include "util/log.h"
#include "util/xalloc.h"

static char *state_dir(const fs_config *cfg) {
    return cfg->state.dir[0] ? xstrdup(cfg->state.dir) : xasprintf("%s/state", cfg->outbox.dir);
}

/* Renames dir/name to dir/name.bad-<t> when it exists; 0 or -1 with err. */
static int set_aside(const char *dir, const char *name, long t, char *err, size_t errlen) {
    char *from = xasprintf("%s/%s", dir, name), *to = xasprintf("%s/%s.bad-%ld", dir, name, t);
    int rc = 0;
    if (rename(from, to) == 0) log_warn("state", "--reset-state: %s moved to %s", from, to);
    else if (errno != ENOENT) rc = err_set(err, errlen, "--reset-state: rename %s: %s", from, strerror(errno));
    free(from);
    free(to);
    return rc;
}

int run_state_open(const fs_config *cfg, int reset, ckpt_store **out, char *err, size_t errlen) {
    *out = NULL;
    if (!cfg->state.enabled) {
        if (reset) log_warn("state", "--reset-state: state.enabled is false; nothing to reset");
        return 0;
    }
    char *dir = state_dir(cfg);
    ckpt_store *s = ckpt_open(dir, err, errlen);
    int rc = s ? 0 : -1;
    if (s && reset) {
        long t = (long)time(NULL);
        if (set_aside(dir, "state.ckpt", t, err, errlen) < 0 || set_aside(dir, "state.prev.ckpt", t, err, errlen) < 0) {
            ckpt_close(s, 0);
            s = NULL;
            rc = -1;
        }
    }
    free(dir);
    *out = s;
    return rc;
}

int run_state_restore(ckpt_store *s, const fs_config *cfg, pipeline *p, char *err, size_t errlen) {
    if (!s) return 0;
    char *dir = state_dir(cfg);
    unsigned char *payload = NULL;
    size_t len = 0;
    uint64_t seq = 0;
    char why[512];
    int rc = ckpt_read(s, &payload, &len, &seq, why, sizeof why);
    if (rc == 0) {
        log_info("state", "%s: no checkpoint yet; starting from the committed offsets", dir);
    } else if (rc < 0) {
        err_set(err, errlen, "state: %s (run with --reset-state to set it aside and start from the committed offsets; "
                "rules then warm up again)", why);
    } else {
        rc = pipeline_restore(p, payload, len, why, sizeof why);
        if (rc == 0) {
            log_info("state", "%s: restored checkpoint %llu (%zu bytes)", dir, (unsigned long long)seq, len);
        } else if (rc == 1) {
            log_warn("state", "%s: the checkpoint does not apply: %s; starting without it from the committed offsets "
                     "(rules warm up again; the next checkpoint replaces it)", dir, why);
            rc = 0;
        } else {
            err_set(err, errlen, "state: %s/state.ckpt: %s (run with --reset-state to set it aside)", dir, why);
        }
    }
    free(payload);
    free(dir);
    return rc < 0 ? -1 : 0;
}
