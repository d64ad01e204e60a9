/* replay — speed parsing and event-time pacing; see replay.h. */
#include "ingest/replay.h"

#include <time.h>

#include "util/timeutil.h"

void replay_pace(replay_pacer *p, int64_t ts_ms) {
    if (p->factor <= 0) return;
    if (!p->started) {
        p->started = 1;
        p->first_ts = ts_ms;
        p->start_ns = time_mono_ns();
        return;
    }
    if (ts_ms <= p->first_ts) return;
    int64_t due = p->start_ns + (int64_t)((double)(ts_ms - p->first_ts) * 1e6 / p->factor);
    int64_t wait = due - time_mono_ns();
    if (wait <= 0) return;
    struct timespec t = {(time_t)(wait / 1000000000), (long)(wait % 1000000000)};
    nanosleep(&t, NULL);
}
