/* ESP-IDF entry of the TFLM HIL firmware: the protocol loop runs in the main task (pinned to CPU0,
 * so the cycle counter it reads is always the same core's). */
#include "reparo_hil.h"

void app_main(void) { reparo_hil_main(); }
