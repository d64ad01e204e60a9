/* config_check — the cross-checks of finsent's config schema that one
 * field's table row cannot express (cfg_check_fn hooks, see cfgschema.h).
 * Each returns 0, or -1 after cfg_fail with a one-line message. Some fill
 * derived defaults (inputs[].stream, windows.advance). */
#ifndef FINSENT_CONFIG_CHECK_H
#define FINSENT_CONFIG_CHECK_H

#include "util/cfgschema.h"

int cfg_check_fields(void *obj, const cJSON *json, cfg_ctx *ctx);
int cfg_check_input(void *obj, const cJSON *json, cfg_ctx *ctx);
int cfg_check_watch(void *obj, const cJSON *json, cfg_ctx *ctx);
int cfg_check_windows(void *obj, const cJSON *json, cfg_ctx *ctx);
int cfg_check_model(void *obj, const cJSON *json, cfg_ctx *ctx);
int cfg_check_rule(void *obj, const cJSON *json, cfg_ctx *ctx);
int cfg_check_sink(void *obj, const cJSON *json, cfg_ctx *ctx);
int cfg_check_metrics(void *obj, const cJSON *json, cfg_ctx *ctx);
int cfg_check_config(void *obj, const cJSON *json, cfg_ctx *ctx);

#endif
