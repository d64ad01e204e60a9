/* commands — the sub-command table of the finsent binary.
 *
 * Each sub-command lives in app/cmd_<name>.c and has the signature of
 * cmd_fn: argv[0] is the sub-command's name, the rest its arguments.
 * It returns the process exit status: 0 success, 1 runtime failure,
 * 2 bad usage or bad input (config, flags). A command whose fn is NULL is
 * registered but not built yet; main says so and exits 2. */
#ifndef FINSENT_COMMANDS_H
#define FINSENT_COMMANDS_H

typedef int (*cmd_fn)(int argc, char **argv);

typedef struct command {
    const char *name;
    const char *usage;   /* one line: arguments after the name */
    const char *summary; /* one line: what it does */
    cmd_fn fn;
} command;

extern const command commands[];
extern const int n_commands;

/* Looks a command up by name; NULL when there is none. */
const command *command_find(const char *name);

/* Prints "finsent <cmd>: <message>" and a hint to --help on stderr, returns 2.
 * For flag and argument errors inside a command. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "finsent <cmd>: <message>" on stderr and returns 1. For runtime errors. */
int cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
