// The two C++ runtime symbols a TFLM image references when no libstdc++ is linked (RV32 builds):
// virtual destructors' deleting variants name operator delete, abstract classes __cxa_pure_virtual.
// Neither runs: TFLM allocates nothing on the heap, and no pure virtual is ever called.
#include <cstddef>
extern "C" {
#include "reparo_fw.h"
}

void operator delete(void *) noexcept { reparo_semihost_exit(4); }
void operator delete(void *, std::size_t) noexcept { reparo_semihost_exit(4); }
extern "C" void __cxa_pure_virtual() { reparo_semihost_exit(4); }
