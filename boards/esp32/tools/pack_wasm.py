#!/usr/bin/env python3
"""Packs firmware.wasm for the ESP32 `wasm_a` partition (OTA slot A): "IBW1", u32 length,
u32 CRC-32 (zlib), then the module bytes. main.c checks all of it and falls
back to the embedded module when anything is off.

    python3 boards/esp32/tools/pack_wasm.py build/firmware.wasm build/firmware-wasm.bin
    parttool.py --port /dev/ttyUSB0 write_partition --partition-name wasm_a --input build/firmware-wasm.bin
"""
import struct
import sys
import zlib

PARTITION_SIZE = 0x10000
HEADER = 12


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    data = open(sys.argv[1], "rb").read()
    if data[:4] != b"\0asm":
        print(f"{sys.argv[1]} is not a WebAssembly module", file=sys.stderr)
        return 1
    if len(data) + HEADER > PARTITION_SIZE:
        print(f"{len(data)} bytes do not fit the {PARTITION_SIZE}-byte partition", file=sys.stderr)
        return 1
    image = b"IBW1" + struct.pack("<II", len(data), zlib.crc32(data) & 0xFFFFFFFF) + data
    open(sys.argv[2], "wb").write(image)
    print(f"{sys.argv[2]}: {len(image)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
