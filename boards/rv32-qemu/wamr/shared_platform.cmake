# WAMR platform of the bare-metal RV32 image (boards/rv32-qemu/wamr/):
# selected with -DSHARED_PLATFORM_CONFIG=<this file> (runtime_lib.cmake).
set (PLATFORM_SHARED_DIR ${CMAKE_CURRENT_LIST_DIR})
add_definitions(-DBH_PLATFORM_IOTBIND_RV32)
include_directories(${PLATFORM_SHARED_DIR})
include_directories(${WAMR_ROOT}/core/shared/platform/include)
set (PLATFORM_SHARED_SOURCE ${PLATFORM_SHARED_DIR}/platform_rv32.c)
