/* replay — event-time pacing for the Kafka replay source: events are
 * released at their event-time spacing divided by a speed factor (0: no
 * waiting; 1: real time; N: N times faster — `--speed max|1x|Nx`, parsed by
 * replay_parse_speed in app/replay_common.c). */
#ifndef FINSENT_REPLAY_H
#define FINSENT_REPLAY_H

#include <stdint.h>

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
