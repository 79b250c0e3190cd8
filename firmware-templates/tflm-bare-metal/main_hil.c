/* Entry of the TFLM HIL firmware: everything happens in the protocol loop (common/hil.c). */
#include "reparo_hil.h"

int main(void) { reparo_hil_main(); }
