/* A fake runtime backend for fuzzing the protocol loop: 10 input bytes, 4 output bytes (sums of
 * input quarters), 3 "layers". */
#include "reparo_hil.h"
#include "reparo_hil_config.h"

static const reparo_model_info_t info = {"native", "0123456789abcdef", 10u, 4u, 64u, 3u};

int reparo_model_setup(void) { return 0; }
const reparo_model_info_t *reparo_model_info(void) { return &info; }

int reparo_model_run(const int8_t *input, int8_t *output) {
  for (int o = 0; o < 4; o++) {
    int s = 0;
    for (int i = o * 10 / 4; i < (o + 1) * 10 / 4; i++) s += input[i];
    output[o] = (int8_t)(s / 3);
  }
  return 0;
}

int reparo_model_run_profiled(const int8_t *input, int8_t *output, uint64_t *counts) {
  for (int k = 0; k < 3; k++) counts[k] = reparo_platform_count();
  return reparo_model_run(input, output);
}

const char *reparo_model_layer_name(uint32_t i) {
  static const char *const names[3] = {"CONV_2D", "MEAN", "SOFTMAX"};
  return i < 3 ? names[i] : "?";
}
