/* demo_assets — the bundled demo feeds and configs, compiled into the
 * binary (app/demo/feed.jsonl with configs/demo.json; the Chinese day
 * app/demo/feed-zh.jsonl with configs/demo-zh.json) so that `finsent demo`
 * needs nothing but the model directory. */
#ifndef FINSENT_DEMO_ASSETS_H
#define FINSENT_DEMO_ASSETS_H

#include <stddef.h>

/* The feed: kcat -J style envelopes, one per line (tools/make_demo_feed.py). */
const char *demo_feed(size_t *len);
/* The demo config, with ${FINSENT_DEMO_*} placeholders the demo fills. */
const char *demo_config(size_t *len);
/* The Chinese feed (tools/make_demo_feed_zh.py) and its config. */
const char *demo_feed_zh(size_t *len);
const char *demo_config_zh(size_t *len);

#endif
