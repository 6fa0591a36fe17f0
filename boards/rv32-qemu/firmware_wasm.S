/* The release build/firmware.wasm, unchanged, in read-only memory (flash). */
  .section .rodata.firmware_wasm, "a"
  .balign 4
  .global firmware_wasm, firmware_wasm_end
firmware_wasm:
  .incbin FIRMWARE_WASM
firmware_wasm_end:
