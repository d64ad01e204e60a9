/* timeutil — clocks and the time formats of DESIGN.md.
 *
 * Event times are epoch milliseconds (int64, UTC) everywhere inside
 * finsent; these functions convert at the edges. */
#ifndef FINSENT_TIMEUTIL_H
#define FINSENT_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Wall clock, epoch milliseconds. */
int64_t time_now_ms(void);
/* Monotonic clock in nanoseconds, for durations and benchmarks. */
int64_t time_mono_ns(void);
/* CPU time of the calling thread in nanoseconds: a cost that waiting for a
 * busy machine's cores does not inflate. */
int64_t time_thread_cpu_ns(void);

/* Parses RFC 3339 ("2024-05-01T12:30:00Z", "...+02:00", fractional seconds
 * allowed) or a plain integer of epoch milliseconds. Returns 0 and sets
 * *ms, or -1 when the string is neither. */
int time_parse(const char *s, int64_t *ms);

/* Formats epoch ms as RFC 3339 UTC with milliseconds into buf (>= 32
 * bytes), the year zero-padded to four digits ("0024-05-01T..."). A time
 * outside the years 0000-9999, which RFC 3339 cannot write, is written as
 * its epoch-ms integer. Either way time_parse reads back the same ms
 * (every ms from -999999999999999999 up: it reads at most 19 digits). */
void time_format(int64_t ms, char *buf, size_t len);

#endif
