/* xalloc — the one checked allocation wrapper.
 *
 * Every allocation in finsent goes through these. On out of memory they
 * print the file and line of the failing call and abort: finsent cannot do
 * anything useful without memory, and a NULL checked in a thousand places
 * is a thousand places to get wrong. They never return NULL. */
#ifndef FINSENT_XALLOC_H
#define FINSENT_XALLOC_H

#include <stddef.h>

void *xmalloc_at(size_t n, const char *file, int line);
void *xcalloc_at(size_t count, size_t size, const char *file, int line);
void *xrealloc_at(void *p, size_t n, const char *file, int line);
char *xstrdup_at(const char *s, const char *file, int line);
char *xstrndup_at(const char *s, size_t n, const char *file, int line);

#define xmalloc(n)        xmalloc_at((n), __FILE__, __LINE__)
#define xcalloc(c, s)     xcalloc_at((c), (s), __FILE__, __LINE__)
#define xrealloc(p, n)    xrealloc_at((p), (n), __FILE__, __LINE__)
#define xstrdup(s)        xstrdup_at((s), __FILE__, __LINE__)
#define xstrndup(s, n)    xstrndup_at((s), (n), __FILE__, __LINE__)

/* xasprintf: printf into a fresh heap string; caller frees. Never NULL. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
