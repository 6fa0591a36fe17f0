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
#
# OTA (docs/OTA.md, "RV32 image"): boards/host/ota.c + ota_verify.c with
# ota_rv32.c (slots, record and kv `ota.rollback` in QEMU virt's CFI flash,
# read in place: IOTBIND_OTA_MAPPED) and mbed TLS's verify subset built
# below from the mbedtls-sys-auto crate's sources. Enabled at run time by a
# key provisioned into the flash (uart-bridge --flash FILE --ota-public-key PEM).

RV32_OUT   ?= $(ROOT)/build/rv32
RV32_CC    ?= riscv64-unknown-elf-gcc
RV32_SIZE  ?= riscv64-unknown-elf-size
RV32_AR    ?= riscv64-unknown-elf-ar
RV32_RAM_KIB   ?= 160
RV32_STACK_KIB ?= 8
# Pool: what is left of the RAM after .data/.bss of our code and the stack.
RV32_POOL_classic ?= 146432
RV32_POOL_fast    ?= 146176
RV32_ARCH  := -march=rv32imc -mabi=ilp32 --specs=picolibc.specs
RV32_CFLAGS := $(RV32_ARCH) -std=c99 -Wall -Wextra -Werror -Os -ffunction-sections -fdata-sections
RV32_DIR   := $(B)/rv32-qemu
# mbed TLS 2.28 for the OTA signature check: the C sources the crate
# mbedtls-sys-auto 2.28.15 vendors (boards/runtimes/Cargo.toml; cargo metadata
# says where cargo unpacked it), only the files SHA-256 + ECDSA P-256 verify
# of a PEM key need, built with our config (mbedtls_config_rv32.h) into
# build/rv32/mbedtls/libmbedcrypto.a. Nothing of it is copied into the repository.
RV32_MBEDTLS ?= $(shell grep -o '"manifest_path":"[^"]*/mbedtls-sys-auto-2\.28\.15/Cargo\.toml"' $(RT)/metadata.json 2>/dev/null | head -1 | sed 's/.*:"//; s|/Cargo.toml"||')/vendor
RV32_MBEDTLS_FILES := asn1parse asn1write base64 bignum constant_time ecdsa ecp ecp_curves error md \
              oid pem pk pk_wrap pkparse platform platform_util sha256
RV32_MBEDTLS_DEFS := -DMBEDTLS_CONFIG_FILE='"mbedtls_config_rv32.h"'
RV32_MBEDTLS_LIB := $(RV32_OUT)/mbedtls/libmbedcrypto.a
# mbed TLS's static arena for the parsed key (ota_rv32.c; a verify's bignums
# come from the WAMR pool): its measured high-water mark, rounded up
RV32_MBEDTLS_HEAP ?= 1024
RV32_INC   := -I$(B)/host -I$(B)/platform/posix -I$(RV32_DIR) -isystem $(WAMR_INC) -isystem $(RV32_MBEDTLS)/include
RV32_SRC   := $(RV32_DIR)/main.c $(RV32_DIR)/modem.c $(RV32_DIR)/sockets_uart.c $(RV32_DIR)/hal_rv32.c $(RV32_DIR)/ota_rv32.c \
              $(B)/host/host.c $(B)/host/json_member.c $(B)/host/config_encode.c $(B)/host/kv_table.c \
              $(B)/host/ota.c $(B)/host/ota_verify.c $(B)/platform/posix/sim_tank.c
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
	$(WAMR_CMAKE) -S $(RV32_DIR)/wamr -B $(dir $@) -DWAMR_ROOT=$(WAMR_ROOT) -DWAMR_FAST=$(if $(filter fast,$*),1,0) >$(dir $@)cmake.log 2>&1 || { cat $(dir $@)cmake.log; exit 1; }
	$(MAKE) -s -C $(dir $@) vmlib >/dev/null

$(RV32_MBEDTLS_LIB): $(RV32_DIR)/mbedtls_config_rv32.h $(RT)/sources.mk
	@command -v $(RV32_CC) >/dev/null || { echo "$(RV32_CC) is missing (Debian: gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf)" >&2; exit 1; }
	@test -f "$(RV32_MBEDTLS)/library/ecdsa.c" || { echo "mbedtls-sys-auto 2.28.15 sources not found (cargo fetch --locked --manifest-path boards/runtimes/Cargo.toml)" >&2; exit 1; }
	@rm -rf $(dir $@) && mkdir -p $(dir $@)
	@for f in $(RV32_MBEDTLS_FILES); do \
	  $(RV32_CC) $(RV32_ARCH) -std=c99 -Os -ffunction-sections -fdata-sections -I$(RV32_DIR) -I$(RV32_MBEDTLS)/include \
	    $(RV32_MBEDTLS_DEFS) -c $(RV32_MBEDTLS)/library/$$f.c -o $(dir $@)$$f.o || exit 1; done
	$(RV32_AR) rcs $@ $(addprefix $(dir $@),$(addsuffix .o,$(RV32_MBEDTLS_FILES)))

# One image per interpreter: our C, runtime_wamr.c with the pool, the
# embedded module, and that interpreter's vmlib.
$(RV32_OUT)/iotbind-tank-rv32-wamr-%.elf: $(RV32_SRC) $(RV32_HDR) $(B)/host/runtime_wamr.c $(RV32_DIR)/firmware_wasm.S $(RV32_DIR)/link.ld $(WASM) $(RV32_OUT)/wamr-%/libvmlib.a $(RV32_MBEDTLS_LIB)
	@mkdir -p $(dir $@)
	$(RV32_CC) $(RV32_CFLAGS) $(RV32_INC) -DIOTBIND_RV32_RUNTIME='"wamr-$*"' -DIOTBIND_WAMR_POOL_BYTES=$(RV32_POOL_$*) \
	  -DIOTBIND_OTA_MAPPED -DRV32_MBEDTLS_HEAP=$(RV32_MBEDTLS_HEAP) -DOTA_PEM_MAX=256 $(RV32_MBEDTLS_DEFS) \
	  -DFIRMWARE_WASM='"$(WASM)"' $(RV32_SRC) $(B)/host/runtime_wamr.c $(RV32_DIR)/firmware_wasm.S \
	  $(RV32_OUT)/wamr-$*/libvmlib.a $(RV32_MBEDTLS_LIB) $(RV32_LDFLAGS) -Wl,-Map=$(@:.elf=.map) -lm -o $@
	@$(RV32_SIZE) $@
