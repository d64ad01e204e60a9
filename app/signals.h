/* signals — graceful shutdown and reload for long-running commands.
 *
 * The first SIGINT or SIGTERM sets signals_stop (the pipeline drains and
 * commits); a second one exits at once with status 130. SIGHUP sets
 * signals_reload. */
#ifndef FINSENT_SIGNALS_H
#define FINSENT_SIGNALS_H

#include <signal.h>

extern volatile sig_atomic_t signals_stop;
extern volatile sig_atomic_t signals_reload;

/* Installs the handlers (SA_RESTART off so blocking calls wake up). */
void signals_install(void);

#endif
