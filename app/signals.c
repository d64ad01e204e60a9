/* signals — SIGINT/SIGTERM/SIGHUP handling; see signals.h. */
#include "app/signals.h"

#include <string.h>
#include <unistd.h>

volatile sig_atomic_t signals_stop;
volatile sig_atomic_t signals_reload;

static void on_stop(int sig) {
    (void)sig;
    if (signals_stop) {
        static const char msg[] = "finsent: second signal, exiting now\n";
        ssize_t r = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)r;
        _exit(130);
    }
    signals_stop = 1;
}

static void on_hup(int sig) {
    (void)sig;
    static const char msg[] = "finsent: SIGHUP ignored: only `finsent run` reloads its config\n";
    ssize_t r = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)r;
}

static void on_hup_reload(int sig) {
    (void)sig;
    signals_reload = 1;
}

void signals_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

void signals_install_reload(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_hup_reload;
    sigaction(SIGHUP, &sa, NULL);
}
