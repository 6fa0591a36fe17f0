# boards/runtimes/runtimes.mk - the real runtimes' C libraries, built from
# registry-fetched sources (nothing third-party is copied into the repository).
# Included by boards/Makefile.
#   WAMR 2.4.3: crate wamrx-sys 0.3.0 (wasm-micro-runtime/), pinned in
#     Cargo.toml + Cargo.lock; `cargo fetch` unpacks it under ~/.cargo/registry/src.
#   wasm3 0.5.0: the source distribution of pywasm3 0.5.0 (wasm3/), pinned by
#     hash in wasm3-requirements.txt; `pip download` fetches it into $(RT)/src.
#
#   $(RT)/sources.mk                      WAMR_ROOT and WASM3_SRC: where they are
#   $(RT)/wamr-<mode>-<bits>/libvmlib.a   mode classic|fast, bits 64|32 (-m32)
#   $(RT)/wasm3-<bits>/libm3.a
#
# RT defaults to build/runtimes (shared by every OUT). CARGO and PIP may name
# the clients.

RT       ?= $(ROOT)/build/runtimes
CARGO    ?= cargo
PIP      ?= python3 -m pip
MANIFEST := $(B)/runtimes/Cargo.toml
W3REQ    := $(B)/runtimes/wasm3-requirements.txt

# cargo fetch unpacks the crates (a no-op when they already are); cargo
# metadata says where: the directory of each crate's Cargo.toml.
$(RT)/sources.mk: $(MANIFEST) $(B)/runtimes/Cargo.lock $(W3REQ)
	@mkdir -p $(RT)/src
	$(CARGO) fetch --locked --manifest-path $(MANIFEST)
	@$(CARGO) metadata --format-version 1 --locked --offline --manifest-path $(MANIFEST) > $(RT)/metadata.json
	$(PIP) download --quiet --no-deps --no-binary :all: --require-hashes -r $(W3REQ) -d $(RT)/src
	@rm -rf $(RT)/src/pywasm3-0.5.0 && tar xzf $(RT)/src/pywasm3-0.5.0.tar.gz -C $(RT)/src
	@w=$$(grep -o '"manifest_path":"[^"]*/wamrx-sys-0\.3\.0/Cargo\.toml"' $(RT)/metadata.json | head -1 | sed 's/.*:"//; s|/Cargo.toml"||'); \
	 m=$(RT)/src/pywasm3-0.5.0/wasm3; \
	 test -f "$$w/wasm-micro-runtime/core/iwasm/include/wasm_export.h" || { echo "wamrx-sys 0.3.0 sources not found (cargo fetch failed?)" >&2; exit 1; }; \
	 grep -q 'M3_VERSION *"0.5.0"' "$$m/wasm3.h" || { echo "wasm3 0.5.0 sources not found (pip download failed?)" >&2; exit 1; }; \
	 printf 'WAMR_ROOT := %s/wasm-micro-runtime\nWASM3_SRC := %s\n' "$$w" "$$m" > $@

-include $(RT)/sources.mk

# Named here so that make treats them as targets, not as intermediate files
# of the hosts' pattern rules (which it would delete after linking).
LIBS64 := $(RT)/wamr-classic-64/libvmlib.a $(RT)/wamr-fast-64/libvmlib.a $(RT)/wasm3-64/libm3.a
LIBS32 := $(RT)/wamr-classic-32/libvmlib.a $(RT)/wamr-fast-32/libvmlib.a $(RT)/wasm3-32/libm3.a

# ------------------------------------------------------------------ WAMR
WAMR_INC := $(WAMR_ROOT)/core/iwasm/include
WAMR_FLAGS_64 :=
# 32 bit as on ESP32 (Xtensa, RISC-V): pointer size, and no unaligned access,
# so that the fast interpreter's compiled code is padded as there (WAMR's
# core/config.h assumes unaligned access on x86; the bench measures RAM here).
WAMR_FLAGS_32 := "-DCMAKE_C_FLAGS=-m32 -DWASM_CPU_SUPPORTS_UNALIGNED_ADDR_ACCESS=0" -DCMAKE_ASM_FLAGS=-m32
# WAMR's CMake writes core/version.h into its source tree at configure time;
# under `make -j` one library's configure could rewrite it while another
# library compiles ("WAMR_VERSION_MAJOR undeclared"). Configures run one at a
# time under this lock, so the header is whole before any compile reads it.
WAMR_CMAKE := flock $(RT)/.wamr-configure.lock cmake

$(RT)/wamr-classic-%/libvmlib.a: $(B)/runtimes/CMakeLists.txt $(B)/runtimes/runtimes.mk $(RT)/sources.mk
	@mkdir -p $(dir $@)
	$(WAMR_CMAKE) -S $(B)/runtimes -B $(dir $@) -DWAMR_ROOT=$(WAMR_ROOT) -DWAMR_FAST=0 $(WAMR_FLAGS_$*) >$(dir $@)cmake.log 2>&1 || { cat $(dir $@)cmake.log; exit 1; }
	$(MAKE) -s -C $(dir $@) vmlib >/dev/null
	@touch $@
$(RT)/wamr-fast-%/libvmlib.a: $(B)/runtimes/CMakeLists.txt $(B)/runtimes/runtimes.mk $(RT)/sources.mk
	@mkdir -p $(dir $@)
	$(WAMR_CMAKE) -S $(B)/runtimes -B $(dir $@) -DWAMR_ROOT=$(WAMR_ROOT) -DWAMR_FAST=1 $(WAMR_FLAGS_$*) >$(dir $@)cmake.log 2>&1 || { cat $(dir $@)cmake.log; exit 1; }
	$(MAKE) -s -C $(dir $@) vmlib >/dev/null
	@touch $@

# An option the bench measures but the hosts do not use (docs/RUNTIMES.md,
# "RAM"): the fast interpreter without labels-as-values dispatch (2-byte
# opcodes in its compiled code instead of 4-byte handler addresses; a
# `switch` runs them). core/config.h takes the define; ESP-IDF has no Kconfig.
NOLABELS_64 := -DCMAKE_C_FLAGS=-DWASM_ENABLE_LABELS_AS_VALUES=0
NOLABELS_32 := "-DCMAKE_C_FLAGS=-m32 -DWASM_CPU_SUPPORTS_UNALIGNED_ADDR_ACCESS=0 -DWASM_ENABLE_LABELS_AS_VALUES=0" -DCMAKE_ASM_FLAGS=-m32
LIBS_OPTIONS := $(RT)/wamr-fast-nolabels-64/libvmlib.a $(RT)/wamr-fast-nolabels-32/libvmlib.a
$(RT)/wamr-fast-nolabels-%/libvmlib.a: $(B)/runtimes/CMakeLists.txt $(B)/runtimes/runtimes.mk $(RT)/sources.mk
	@mkdir -p $(dir $@)
	$(WAMR_CMAKE) -S $(B)/runtimes -B $(dir $@) -DWAMR_ROOT=$(WAMR_ROOT) -DWAMR_FAST=1 $(NOLABELS_$*) >$(dir $@)cmake.log 2>&1 || { cat $(dir $@)cmake.log; exit 1; }
	$(MAKE) -s -C $(dir $@) vmlib >/dev/null
	@touch $@

# ----------------------------------------------------------------- wasm3
# The settings of wasm3's platforms/esp32-idf example: -O3 -DESP32
# -Dd_m3MaxFunctionStackHeight=256; logging off. -DM3_IN_IRAM only keeps
# ESP32's IRAM_ATTR (esp_system.h) out of a Linux build. d_m3CascadedOpcodes=0
# (the ESP32 setting of wasm3 after 0.5.0) is given for the record: 0.5.0
# does not know it yet.
WASM3_DEFS := -DESP32 -DM3_IN_IRAM -Dd_m3MaxFunctionStackHeight=256 -Dd_m3LogOutput=0 -Dd_m3CascadedOpcodes=0
WASM3_CORE := m3_bind m3_code m3_compile m3_core m3_emit m3_env m3_exec m3_function m3_info m3_module m3_parse
M3_BITS_64 :=
M3_BITS_32 := -m32

$(RT)/wasm3-%/libm3.a: $(B)/runtimes/runtimes.mk $(RT)/sources.mk
	@mkdir -p $(dir $@)
	@for f in $(WASM3_CORE); do \
	  $(CC) -std=gnu99 -O3 -w $(M3_BITS_$*) $(WASM3_DEFS) -I$(WASM3_SRC) -c $(WASM3_SRC)/$$f.c -o $(dir $@)$$f.o || exit 1; \
	done
	ar rcs $@ $(addprefix $(dir $@),$(addsuffix .o,$(WASM3_CORE)))
