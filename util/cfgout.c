/* cfgout — walking a filled config struct by its schema: the effective
 * config as JSON (secrets masked) and freeing; see cfgschema.h. */
#include "util/cfgschema.h"

#include <stdlib.h>
#include <string.h>

#include "util/timeutil.h"

static const char MASK[] = "***";

static cJSON *field_json(const cfg_field *f, const void *p) {
    char buf[48];
    switch (f->type) {
    case CFG_STRING: {
        const char *s = *(char *const *)p;
        return cJSON_CreateString((f->flags & CFG_SECRET) ? MASK : s);
    }
    case CFG_INT: {
        int64_t v;
        if (f->size == sizeof(int)) v = *(const int *)p;
        else memcpy(&v, p, sizeof v);
        return cJSON_CreateNumber((double)v);
    }
    case CFG_NUMBER: return cJSON_CreateNumber(*(const double *)p);
    case CFG_BOOL: return cJSON_CreateBool(*(const bool *)p);
    case CFG_DURATION:
        cfg_format_duration(*(const int64_t *)p, buf, sizeof buf);
        return cJSON_CreateString(buf);
    case CFG_SIZE:
        cfg_format_size(*(const uint64_t *)p, buf, sizeof buf);
        return cJSON_CreateString(buf);
    case CFG_ENUM: return cJSON_CreateString(f->enums[*(const int *)p]);
    case CFG_TIME:
        time_format(*(const int64_t *)p, buf, sizeof buf);
        return cJSON_CreateString(buf);
    case CFG_STRING_ARRAY: {
        const cfg_strv *a = p;
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < a->n; i++) cJSON_AddItemToArray(arr, cJSON_CreateString(a->v[i]));
        return arr;
    }
    case CFG_ENUM_ARRAY: {
        const cfg_intv *a = p;
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < a->n; i++) cJSON_AddItemToArray(arr, cJSON_CreateString(f->enums[a->v[i]]));
        return arr;
    }
    case CFG_OBJECT: return cfg_to_json(f->sub, p);
    case CFG_OBJECT_ARRAY: {
        const cfg_array *a = p;
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < a->n; i++)
            cJSON_AddItemToArray(arr, cfg_to_json(f->sub, (const char *)a->v + i * f->sub->size));
        return arr;
    }
    case CFG_KV: {
        const cfg_kv *kv = p;
        cJSON *o = cJSON_CreateObject();
        for (size_t i = 0; i < kv->n; i++)
            cJSON_AddItemToObject(o, kv->keys[i], cJSON_CreateString(cfg_key_is_secret(kv->keys[i]) ? MASK : kv->vals[i]));
        return o;
    }
    }
    return cJSON_CreateNull();
}

/* True for a field that was left out and has no default: a string that is
 * NULL, or an array that needs at least one element and has none. Its
 * printed form (null, []) would not load back, so the effective config
 * leaves it out too. */
static int unset_field(const cfg_field *f, const void *p) {
    if (f->type == CFG_STRING) return *(char *const *)p == NULL;
    if (!(f->flags & CFG_MIN) || f->min < 1) return 0;
    switch (f->type) {
    case CFG_STRING_ARRAY: return ((const cfg_strv *)p)->n == 0;
    case CFG_ENUM_ARRAY: return ((const cfg_intv *)p)->n == 0;
    case CFG_OBJECT_ARRAY: return ((const cfg_array *)p)->n == 0;
    default: return 0;
    }
}

cJSON *cfg_to_json(const cfg_schema *schema, const void *obj) {
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < schema->n_fields; i++) {
        const cfg_field *f = &schema->fields[i];
        if (!cfg_field_applies(schema, f, obj) || unset_field(f, (const char *)obj + f->offset)) continue;
        cJSON_AddItemToObject(o, f->key, field_json(f, (const char *)obj + f->offset));
    }
    return o;
}

static void free_field(const cfg_field *f, void *p) {
    switch (f->type) {
    case CFG_STRING: free(*(char **)p); break;
    case CFG_STRING_ARRAY: {
        cfg_strv *a = p;
        for (size_t i = 0; i < a->n; i++) free(a->v[i]);
        free(a->v);
        break;
    }
    case CFG_ENUM_ARRAY: free(((cfg_intv *)p)->v); break;
    case CFG_OBJECT: cfg_obj_free(f->sub, p); break;
    case CFG_OBJECT_ARRAY: {
        cfg_array *a = p;
        for (size_t i = 0; i < a->n; i++) cfg_obj_free(f->sub, (char *)a->v + i * f->sub->size);
        free(a->v);
        break;
    }
    case CFG_KV: {
        cfg_kv *kv = p;
        for (size_t i = 0; i < kv->n; i++) {
            free(kv->keys[i]);
            free(kv->vals[i]);
        }
        free(kv->keys);
        free(kv->vals);
        break;
    }
    default: break;
    }
}

void cfg_obj_free(const cfg_schema *schema, void *obj) {
    for (size_t i = 0; i < schema->n_fields; i++) free_field(&schema->fields[i], (char *)obj + schema->fields[i].offset);
    memset(obj, 0, schema->size);
}
