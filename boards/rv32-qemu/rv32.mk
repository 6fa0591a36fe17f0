# boards/rv32-qemu/rv32.mk - the bare-metal RV32 image (included by boards/Makefile).
#
#   make -C boards rv32        build/rv32/iotbind-tank-rv32-wamr-classic.elf
#                              build/rv32/iotbind-tank-rv32-wamr-fast.elf   (see RV32_RAM_KIB)
#
# rv32imc / ilp32, Debian's riscv64-unknown-elf-gcc with picolibc
# (picolibc.specs: its crt0 and picolibc.ld). Memory (picolibc.ld, placed by
# --defsym): "flash" = 4 MiB at 0x80000000 (text, rodata, the embedded
# firmware.wasm, .data's initial values); "ram" = RV32_RAM_KIB (160) KiB at
# 0x80400000 for .data, .bss (the WAMR pool is in .bss), and an
# RV32_STACK_KIB (8) KiB C stack at its top. Both are QEMU virt DRAM; the
# linker keeps them apart, so data + bss + stack over 160 KiB fails the link
# ("region `ram' overflowed"). The module runs out of the WAMR pool
# (RV32_POOL_classic / _fast bytes): a module that needs more fails to load
# at boot. Our C gets the hosts' strict flags.

RV32_OUT   ?= $(ROOT)/build/rv32
RV32_CC    ?= riscv64-unknown-elf-gcc
RV32_SIZE  ?= riscv64-unknown-elf-size
RV32_RAM_KIB   ?= 160
RV32_STACK_KIB ?= 8
# Pool: what is left of the RAM after .data/.bss of our code and the stack.
RV32_POOL_classic ?= 147456
RV32_POOL_fast    ?= 147456
RV32_ARCH  := -march=rv32imc -mabi=ilp32 --specs=picolibc.specs
RV32_CFLAGS := $(RV32_ARCH) -std=c99 -Wall -Wextra -Werror -Os -ffunction-sections -fdata-sections
RV32_DIR   := $(B)/rv32-qemu
RV32_INC   := -I$(B)/host -I$(B)/platform/posix -I$(RV32_DIR) -isystem $(WAMR_INC)
RV32_SRC   := $(RV32_DIR)/main.c $(RV32_DIR)/modem.c $(RV32_DIR)/sockets_uart.c $(RV32_DIR)/hal_rv32.c \
              $(B)/host/host.c $(B)/host/json_member.c $(B)/host/config_encode.c $(B)/host/kv_table.c $(B)/host/ota_none.c $(B)/platform/posix/sim_tank.c
RV32_HDR   := $(wildcard $(RV32_DIR)/*.h $(B)/host/*.h $(B)/platform/posix/sim_tank.h)
RV32_LDFLAGS := -Wl,--defsym=__flash=0x80000000 -Wl,--defsym=__flash_size=0x400000 \
              -Wl,--defsym=__ram=0x80400000 -Wl,--defsym=__ram_size=$(RV32_RAM_KIB)*1024 \
              -Wl,--defsym=__stack_size=$(RV32_STACK_KIB)*1024 -Wl,--gc-sections -T$(RV32_DIR)/link.ld

RV32_IMAGES := $(RV32_OUT)/iotbind-tank-rv32-wamr-classic.elf $(RV32_OUT)/iotbind-tank-rv32-wamr-fast.elf
.PHONY: rv32
rv32: $(RV32_IMAGES)

$(RV32_OUT)/wamr-%/libvmlib.a: $(RV32_DIR)/wamr/CMakeLists.txt $(RV32_DIR)/wamr/platform_rv32.c $(RV32_DIR)/wamr/platform_internal.h $(RT)/sources.mk
	@command -v $(RV32_CC) >/dev/null || { echo "$(RV32_CC) is missing (Debian: gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf)" >&2; exit 1; }
	@mkdir -p $(dir $@)
	cmake -S $(RV32_DIR)/wamr -B $(dir $@) -DWAMR_ROOT=$(WAMR_ROOT) -DWAMR_FAST=$(if $(filter fast,$*),1,0) >$(dir $@)cmake.log 2>&1 || { cat $(dir $@)cmake.log; exit 1; }
	$(MAKE) -s -C $(dir $@) vmlib >/dev/null

# One image per interpreter: our C, runtime_wamr.c with the pool, the
# embedded module, and that interpreter's vmlib.
$(RV32_OUT)/iotbind-tank-rv32-wamr-%.elf: $(RV32_SRC) $(RV32_HDR) $(B)/host/runtime_wamr.c $(RV32_DIR)/firmware_wasm.S $(RV32_DIR)/link.ld $(WASM) $(RV32_OUT)/wamr-%/libvmlib.a
	@mkdir -p $(dir $@)
	$(RV32_CC) $(RV32_CFLAGS) $(RV32_INC) -DIOTBIND_RV32_RUNTIME='"wamr-$*"' -DIOTBIND_WAMR_POOL_BYTES=$(RV32_POOL_$*) \
	  -DFIRMWARE_WASM='"$(WASM)"' $(RV32_SRC) $(B)/host/runtime_wamr.c $(RV32_DIR)/firmware_wasm.S \
	  $(RV32_OUT)/wamr-$*/libvmlib.a $(RV32_LDFLAGS) -Wl,-Map=$(@:.elf=.map) -lm -o $@
	@$(RV32_SIZE) $@
