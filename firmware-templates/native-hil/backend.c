/* The HIL runtime backend (reparo_hil.h) for the generated native model (model.c / model.h).
 * reparo_hil_config.h, written by the project emitter, gives REPARO_MODEL_HASH. */
#include "model.h"
#include "reparo_hil.h"
#include "reparo_hil_config.h"

static const reparo_model_info_t info = {
    "native", REPARO_MODEL_HASH, REPARO_INPUT_SIZE, REPARO_OUTPUT_SIZE, REPARO_ARENA_SIZE, REPARO_LAYER_COUNT,
};

int reparo_model_setup(void) { return 0; /* the arena and every constant are static */ }

const reparo_model_info_t *reparo_model_info(void) { return &info; }

int reparo_model_run(const int8_t *input, int8_t *output) { return reparo_invoke(input, output); }

int reparo_model_run_profiled(const int8_t *input, int8_t *output, uint64_t *counts) {
  return reparo_invoke_profiled(input, output, reparo_platform_count, counts);
}

const char *reparo_model_layer_name(uint32_t i) { return i < REPARO_LAYER_COUNT ? reparo_layer_ops[i] : "?"; }
