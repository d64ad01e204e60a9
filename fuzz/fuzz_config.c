/* fuzz_config — libFuzzer target for the config loader: the finsent schema
 * on arbitrary bytes (JSON parse, schema checks, ${ENV} substitution,
 * cross-checks), then, for a config that loads, the effective-config
 * printer and cfg_free. The text goes through cfg_load_text with its full
 * length, as cfg_load reads a file (NUL bytes included); cfg_load_string
 * is the same call with strlen. Any crash, sanitizer report or leak is a
 * finding; so is an effective config that does not load back to itself:
 * the printed form, loaded again, must print the same (checked when it
 * holds no "***" secret and no "${", which substitution would read). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/config.h"
#include "util/xalloc.h"

/* Fixed variables so that ${FUZZ_SECRET} and ${FUZZ_HOST} in inputs
 * substitute the same way on every run. */
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    setenv("FUZZ_SECRET", "s3cr3t", 1);
    setenv("FUZZ_HOST", "127.0.0.1:9092", 1);
    return 0;
}

/* The effective config of cfg as text (caller frees with cJSON_free). */
static char *print_config(const fs_config *cfg) {
    cJSON *j = cfg_to_json(&cfg_finsent_schema, cfg);
    char *s = cJSON_PrintUnformatted(j);
    if (!s) abort();
    cJSON_Delete(j);
    return s;
}

/* Loads printed (an effective config) again; it must load and print the
 * same. */
static void check_round_trip(const char *printed) {
    if (strstr(printed, "***") || strstr(printed, "${")) return;
    fs_config again;
    char err[1024] = "";
    if (cfg_load_text("printed.json", printed, strlen(printed), &cfg_finsent_schema, &again, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz finding: effective config does not load: %s\n%s\n", err, printed);
        abort();
    }
    char *reprinted = print_config(&again);
    if (strcmp(printed, reprinted) != 0) {
        fprintf(stderr, "fuzz finding: effective config changes on reload:\n%s\n%s\n", printed, reprinted);
        abort();
    }
    cJSON_free(reprinted);
    cfg_free(&again);
}

/* Loads data as config text; a loaded config must print, load back to
 * itself and free cleanly, and a failed load must leave an error line and
 * nothing to free. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = xmalloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    fs_config cfg;
    char err[1024] = "";
    if (cfg_load_text("fuzz.json", text, size, &cfg_finsent_schema, &cfg, err, sizeof err) == 0) {
        char *printed = print_config(&cfg);
        check_round_trip(printed);
        cJSON_free(printed);
        cfg_free(&cfg);
    } else if (err[0] == '\0' || strpbrk(err, "\r\n")) {
        abort(); /* a failure says why, in one line */
    }
    free(text);
    return 0;
}
