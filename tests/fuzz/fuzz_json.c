/* libFuzzer target for the data path: runtime/data_json.c's parser and the binding of
 * a fixed model's data (sizes, shapes, int checks, bounds, a data-only let) through
 * vm_model_load.  Any crash, leak or hang fails; load errors are expected results. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/vmod.h"
#include "runtime/data_json.h"

static const char model[] =
    "data int<lower=0, upper=1000> N;\n"
    "data vector[N] y;\n"
    "data array[N] int<lower=0, upper=5> k;\n"
    "data matrix[2, N] X;\n"
    "data array[2, 3] real g;\n"
    "data real<lower=0> sigma = 1;\n"
    "data simplex[3] w;\n"
    "data int<lower=0, upper=4> M;\n"
    "data array[M, 2] int<lower=1> idx;\n"
    "let int N1 = N + 1;\n"
    "let vector[N1] y1 = append_row(y, 1);\n"
    "param real mu;\n"
    "param vector[M] b;\n"
    "mu ~ normal(0, sigma);\n"
    "b ~ normal(0, 1);\n"
    "y ~ normal(mu + X[1]' + to_vector(k), sigma);\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) return 0;
    char *json = malloc(size + 1);
    memcpy(json, data, size);
    json[size] = 0;
    char err[512];
    void *root = data_json_parse(json, "fuzz.json", err, sizeof err);
    if (root) {
        void *it = NULL;
        while (data_json_next_key(root, &it)) {}
        data_json_free(root);
    }
    char *msg = NULL;
    VmModel *m = vm_model_load(model, sizeof model - 1, "fuzz.vmod", json, "fuzz.json", &msg);
    if (m) vm_model_free(m);
    free(msg);
    free(json);
    return 0;
}
