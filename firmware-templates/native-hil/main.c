/* Entry of the HIL app: everything else happens in the protocol loop (common/hil.c), or in the MLPerf
 * Tiny DUT loop (common/mlperf_dut.c) when the project was emitted with --mlperf. Bare metal starts at
 * main; ESP-IDF (ESP_PLATFORM) at app_main, in the main task. */
#include "reparo_hil.h"
#include "reparo_hil_config.h"

static void run(void) {
#ifdef REPARO_MLPERF_DUT
  reparo_mlperf_dut_main();
#else
  reparo_hil_main();
#endif
}

#ifdef ESP_PLATFORM
void app_main(void) { run(); }
#else
int main(void) { run(); }
#endif
