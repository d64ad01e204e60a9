/* replay — pacing shared by the replay sources: events are released at
 * their event-time spacing divided by a speed factor.
 *
 * --speed max   no waiting (factor 0)
 * --speed 1x    real time
 * --speed Nx    N times faster (N a positive decimal, e.g. 10x, 0.5x) */
#ifndef FINSENT_REPLAY_H
#define FINSENT_REPLAY_H

#include <stdint.h>

/* Parses "max", "1x", "Nx" into *factor (0 for max). Returns 0, or -1 when
 * the text is none of these. */
int replay_speed_parse(const char *s, double *factor);

typedef struct replay_pacer {
    double factor;    /* 0: no waiting */
    int64_t first_ts; /* event time of the first event, ms */
    int64_t start_ns; /* monotonic time it was released */
    int started;
} replay_pacer;

/* Sleeps until the event at ts_ms is due: the first event is due at once,
 * later ones (ts - first_ts) / factor after it. Events earlier than the
 * first are due at once. Can't fail. */
void replay_pace(replay_pacer *p, int64_t ts_ms);

#endif
