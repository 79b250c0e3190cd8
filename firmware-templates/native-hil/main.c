/* Bare-metal entry of the HIL app: everything else happens in the protocol loop (common/hil.c). */
#include "reparo_hil.h"

int main(void) { reparo_hil_main(); }
