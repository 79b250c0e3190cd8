/* Bare-metal entry of the HIL app: everything else happens in the protocol loop (common/hil.c), or in
 * the MLPerf Tiny DUT loop (common/mlperf_dut.c) when the project was emitted with --mlperf. */
#include "reparo_hil.h"
#include "reparo_hil_config.h"

int main(void) {
#ifdef REPARO_MLPERF_DUT
  reparo_mlperf_dut_main();
#else
  reparo_hil_main();
#endif
}
