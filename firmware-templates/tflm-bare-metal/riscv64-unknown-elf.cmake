# CMake toolchain file: bare-metal RV32 (Debian gcc-riscv64-unknown-elf + picolibc-riscv64-unknown-elf).
# The CPU flags (-march=rv32imc -mabi=ilp32) come from board.cmake, written by reparo emit.
#
# Debian ships no libstdc++ for riscv64-unknown-elf. TFLM uses only its header-only parts (<new>,
# <type_traits>, <limits>, <algorithm>, <cmath>, ...), so the C++ sources take the target-neutral
# libstdc++ headers of libstdc++-arm-none-eabi-newlib (the ILP32 configuration of a newlib-family
# bare-metal target; int, long and pointers are 32-bit on both) in front of picolibc's C headers; no
# C++ library is linked (the C driver links the image), and src/cxx_runtime.cc gives the symbols the
# compiler emits.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv32)
set(CMAKE_C_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_CXX_COMPILER riscv64-unknown-elf-g++)
set(CMAKE_ASM_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_OBJCOPY riscv64-unknown-elf-objcopy CACHE FILEPATH "objcopy")
set(CMAKE_SIZE riscv64-unknown-elf-size CACHE FILEPATH "size")
file(GLOB _reparo_cxx LIST_DIRECTORIES true /usr/lib/arm-none-eabi/include/c++/*)
list(SORT _reparo_cxx)
list(GET _reparo_cxx -1 REPARO_CXX_HEADERS)
if(NOT EXISTS "${REPARO_CXX_HEADERS}/type_traits" OR NOT EXISTS "${REPARO_CXX_HEADERS}/arm-none-eabi/bits/c++config.h")
  message(FATAL_ERROR "no libstdc++ headers under /usr/lib/arm-none-eabi/include/c++/: sudo apt-get install libstdc++-arm-none-eabi-newlib")
endif()
set(CMAKE_C_FLAGS_INIT "--specs=picolibc.specs")
set(CMAKE_CXX_FLAGS_INIT "--specs=picolibc.specs -nostdinc++ -isystem ${REPARO_CXX_HEADERS} -isystem ${REPARO_CXX_HEADERS}/arm-none-eabi")
set(CMAKE_ASM_FLAGS_INIT "--specs=picolibc.specs")
# the link line carries the C++ flags, picolibc's specs with them; its semihosting OS library gives
# abort() its _exit, as nosys.specs does on Arm
set(REPARO_LIBC_LINK_FLAGS --oslib=semihost)
set(CMAKE_CXX_LINK_EXECUTABLE "<CMAKE_C_COMPILER> <FLAGS> <CMAKE_CXX_LINK_FLAGS> <LINK_FLAGS> <OBJECTS> -o <TARGET> <LINK_LIBRARIES>")
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
