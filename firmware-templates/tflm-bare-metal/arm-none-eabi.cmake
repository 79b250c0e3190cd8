# CMake toolchain file: bare-metal Arm (Debian gcc-arm-none-eabi + libnewlib-arm-none-eabi +
# libstdc++-arm-none-eabi-newlib). The CPU flags come from board.cmake, written by reparo emit.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_OBJCOPY arm-none-eabi-objcopy CACHE FILEPATH "objcopy")
set(CMAKE_SIZE arm-none-eabi-size CACHE FILEPATH "size")
# the compiler checks link a test program, which needs a startup file and linker script we do not have yet
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# newlib-nano, with the no-OS stubs (TFLM calls no I/O; reparo_tflm.cc logs through the UART)
set(REPARO_LIBC_LINK_FLAGS --specs=nano.specs --specs=nosys.specs)
