/* signals — graceful shutdown and reload for long-running commands.
 *
 * The first SIGINT or SIGTERM sets signals_stop (the pipeline drains and
 * commits); a second one exits at once with status 130. SIGHUP only says
 * on stderr that reloading is not built yet (rather than killing the
 * process, SIGHUP's default). SIGPIPE is ignored. */
#ifndef FINSENT_SIGNALS_H
#define FINSENT_SIGNALS_H

#include <signal.h>

extern volatile sig_atomic_t signals_stop;

/* Installs the handlers (SA_RESTART off so blocking calls wake up). */
void signals_install(void);

#endif
