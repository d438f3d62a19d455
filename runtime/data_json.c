/* CmdStan JSON data: an object of names; nested arrays are row-major, first index
 * outermost (a matrix is a list of rows).  Every error names the variable, the
 * element and the value. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "runtime/data_json.h"

static int number_of(json_t *j, double *x)
{
    if (json_is_integer(j)) { *x = (double)json_integer_value(j); return 0; }
    if (json_is_real(j)) { *x = json_real_value(j); return 0; }
    if (json_is_string(j)) {             /* CmdStan writes non-finite values as strings */
        const char *s = json_string_value(j);
        if (!strcmp(s, "NaN") || !strcmp(s, "nan")) { *x = NAN; return 0; }
        if (!strcmp(s, "Inf") || !strcmp(s, "Infinity") || !strcmp(s, "inf") || !strcmp(s, "+inf")) { *x = INFINITY; return 0; }
        if (!strcmp(s, "-Inf") || !strcmp(s, "-Infinity") || !strcmp(s, "-inf")) { *x = -INFINITY; return 0; }
    }
    return -1;
}

static void idx_text(char *buf, size_t n, const int *c, int nd)
{
    if (nd == 0) { buf[0] = 0; return; }
    size_t k = 0;
    k += (size_t)snprintf(buf + k, n - k, "[");
    for (int i = 0; i < nd && k < n; i++) k += (size_t)snprintf(buf + k, n - k, "%s%d", i ? "," : "", c[i] + 1);
    if (k < n) snprintf(buf + k, n - k, "]");
}

/* Recursively walk dims (row-major in JSON), storing into v with its own layout. */
static int fill(json_t *j, Val *v, int d, int *c, const char *name, char *err, size_t errlen)
{
    char ix[96];
    if (d == v->ndim) {
        double x;
        idx_text(ix, sizeof ix, c, d);
        if (number_of(j, &x)) {
            snprintf(err, errlen, "data '%s': element %s%s is not a number", name, name, ix);
            return -1;
        }
        long o = val_offset(v, c);
        if (v->base == TB_INT) {
            if (!json_is_integer(j) && (x != floor(x) || !isfinite(x))) {
                snprintf(err, errlen, "data '%s': %s%s is %g, but '%s' is declared int", name, name, ix, x, name);
                return -1;
            }
            if (x > 2147483647.0 || x < -2147483647.0) {   /* INT_MIN is the "unset" mark */
                snprintf(err, errlen, "data '%s': %s%s is %.17g, outside the int range -2147483647 to 2147483647", name, name, ix, x);
                return -1;
            }
            v->iv[o] = (int)x;
        } else v->x[o] = x;
        return 0;
    }
    if (!json_is_array(j)) {
        idx_text(ix, sizeof ix, c, d);
        snprintf(err, errlen, "data '%s': expected %d dimension%s, but %s%s is not an array", name, v->ndim,
                 v->ndim == 1 ? "" : "s", d ? name : "the value", d ? ix : "");
        return -1;
    }
    size_t n = json_array_size(j);
    if ((int)n != v->dims[d]) {
        idx_text(ix, sizeof ix, c, d);
        if (d == 0) snprintf(err, errlen, "data '%s': expected %d elements, found %zu", name, v->dims[d], n);
        else snprintf(err, errlen, "data '%s': %s%s should have %d elements, found %zu", name, name, ix, v->dims[d], n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        c[d] = (int)i;
        if (fill(json_array_get(j, i), v, d + 1, c, name, err, errlen)) return -1;
    }
    return 0;
}

static int shape(json_t *j, int nd, const int *dims, int d, int *c, const char *name, char *err, size_t errlen)
{
    char ix[96];
    if (d == nd) return 0;
    if (!json_is_array(j)) {
        idx_text(ix, sizeof ix, c, d);
        snprintf(err, errlen, "data '%s': expected %d dimension%s, but %s%s is not an array", name, nd,
                 nd == 1 ? "" : "s", d ? name : "the value", d ? ix : "");
        return -1;
    }
    size_t n = json_array_size(j);
    if (n != (size_t)dims[d]) {
        idx_text(ix, sizeof ix, c, d);
        if (d == 0) snprintf(err, errlen, "data '%s': expected %d elements, found %zu", name, dims[d], n);
        else snprintf(err, errlen, "data '%s': %s%s should have %d elements, found %zu", name, name, ix, dims[d], n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        c[d] = (int)i;
        if (shape(json_array_get(j, i), nd, dims, d + 1, c, name, err, errlen)) return -1;
    }
    return 0;
}

int data_json_shape(void *root, const char *name, int nd, const int *dims, char *err, size_t errlen)
{
    json_t *j = json_object_get((json_t *)root, name);
    if (!j) return 1;
    int c[VM_MAXDIM] = {0};
    if (nd == 0 && json_is_array(j) && json_array_size(j) == 1) j = json_array_get(j, 0);
    return shape(j, nd, dims, 0, c, name, err, errlen);
}

int data_json_read(void *root, const char *name, Val *v, char *err, size_t errlen)
{
    json_t *j = json_object_get((json_t *)root, name);
    if (!j) return 1;
    int c[VM_MAXDIM] = {0};
    /* a scalar may be given as a one-element array, as CmdStan allows */
    if (v->ndim == 0 && json_is_array(j) && json_array_size(j) == 1) j = json_array_get(j, 0);
    return fill(j, v, 0, c, name, err, errlen) ? -1 : 0;
}

void *data_json_parse(const char *text, const char *file, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(err, errlen, "%s:%d:%d: error: invalid JSON: %s", file, je.line, je.column, je.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        snprintf(err, errlen, "%s: error: the data must be a JSON object of variable names", file);
        json_decref(root);
        return NULL;
    }
    return root;
}

void data_json_free(void *root) { json_decref((json_t *)root); }

const char *data_json_next_key(void *root, void **iter)
{
    json_t *o = root;
    *iter = *iter ? json_object_iter_next(o, *iter) : json_object_iter(o);
    return *iter ? json_object_iter_key(*iter) : NULL;
}
