/* demo_assets — the demo feed and config as bytes in .rodata (assembler
 * .incbin, paths relative to the repository root where make runs); see
 * demo_assets.h. */
#include "app/demo_assets.h"

__asm__(".section .rodata\n"
        ".balign 16\n"
        "finsent_demo_feed_start:\n"
        ".incbin \"app/demo/feed.jsonl\"\n"
        "finsent_demo_feed_end:\n"
        ".byte 0\n"
        ".balign 16\n"
        "finsent_demo_config_start:\n"
        ".incbin \"configs/demo.json\"\n"
        "finsent_demo_config_end:\n"
        ".byte 0\n"
        ".balign 16\n"
        "finsent_demo_feed_zh_start:\n"
        ".incbin \"app/demo/feed-zh.jsonl\"\n"
        "finsent_demo_feed_zh_end:\n"
        ".byte 0\n"
        ".balign 16\n"
        "finsent_demo_config_zh_start:\n"
        ".incbin \"configs/demo-zh.json\"\n"
        "finsent_demo_config_zh_end:\n"
        ".byte 0\n"
        ".previous\n");

extern const char finsent_demo_feed_start[], finsent_demo_feed_end[];
extern const char finsent_demo_config_start[], finsent_demo_config_end[];
extern const char finsent_demo_feed_zh_start[], finsent_demo_feed_zh_end[];
extern const char finsent_demo_config_zh_start[], finsent_demo_config_zh_end[];

const char *demo_feed(size_t *len) {
    *len = (size_t)(finsent_demo_feed_end - finsent_demo_feed_start);
    return finsent_demo_feed_start;
}

const char *demo_config(size_t *len) {
    *len = (size_t)(finsent_demo_config_end - finsent_demo_config_start);
    return finsent_demo_config_start;
}

const char *demo_feed_zh(size_t *len) {
    *len = (size_t)(finsent_demo_feed_zh_end - finsent_demo_feed_zh_start);
    return finsent_demo_feed_zh_start;
}

const char *demo_config_zh(size_t *len) {
    *len = (size_t)(finsent_demo_config_zh_end - finsent_demo_config_zh_start);
    return finsent_demo_config_zh_start;
}
