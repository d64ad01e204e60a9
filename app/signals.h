/* signals — graceful shutdown and reload for long-running commands.
 *
 * The first SIGINT or SIGTERM sets signals_stop (the pipeline drains and
 * commits); a second one exits at once with status 130. SIGHUP sets
 * signals_reload where the command asked for it (signals_install_reload:
 * `finsent run`, whose aggregation loop then reloads the config, see
 * app/reload.h); elsewhere it only says on stderr that it is ignored
 * (rather than killing the process, SIGHUP's default). SIGPIPE is
 * ignored. Handlers only set flags or write one line. */
#ifndef FINSENT_SIGNALS_H
#define FINSENT_SIGNALS_H

#include <signal.h>

extern volatile sig_atomic_t signals_stop;
extern volatile sig_atomic_t signals_reload;

/* Installs the handlers (SA_RESTART off so blocking calls wake up). */
void signals_install(void);
/* After signals_install: SIGHUP sets signals_reload instead of being ignored. */
void signals_install_reload(void);

#endif
