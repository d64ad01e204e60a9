/* fuzz_config — libFuzzer target for the config loader: the finsent schema
 * on arbitrary bytes (JSON parse, schema checks, ${ENV} substitution,
 * cross-checks), then, for a config that loads, the effective-config
 * printer and cfg_free. The text goes through cfg_load_text with its full
 * length, as cfg_load reads a file (NUL bytes included); cfg_load_string
 * is the same call with strlen. Any crash, sanitizer report or leak is a
 * finding. */
#include <stddef.h>
#include <stdint.h>
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

/* Loads data as config text; a loaded config must print and free cleanly,
 * and a failed load must leave an error line and nothing to free. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = xmalloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    fs_config cfg;
    char err[1024] = "";
    if (cfg_load_text("fuzz.json", text, size, &cfg_finsent_schema, &cfg, err, sizeof err) == 0) {
        cJSON *j = cfg_to_json(&cfg_finsent_schema, &cfg);
        char *s = cJSON_PrintUnformatted(j);
        if (!s) abort();
        cJSON_free(s);
        cJSON_Delete(j);
        cfg_free(&cfg);
    } else if (err[0] == '\0' || strpbrk(err, "\r\n")) {
        abort(); /* a failure says why, in one line */
    }
    free(text);
    return 0;
}
