#ifndef CJANSSON_SHIM_H
#define CJANSSON_SHIM_H
#include <jansson.h>

// Swift does not import jansson's function-like macros; these wrappers stand in for them.

static inline json_type cjansson_typeof(const json_t *json) { return json_typeof(json); }

static inline void cjansson_decref(json_t *json) { json_decref(json); }

static inline size_t cjansson_real_precision(int digits) { return JSON_REAL_PRECISION(digits); }

#endif
