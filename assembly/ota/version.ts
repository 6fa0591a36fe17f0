// The firmware version: major << 16 | minor << 8 | patch. One fact, package.json
// "version": `npm run build:wasm` passes it as `--use FW_VERSION=<n>`
// (scripts/fw-version.mjs); a test builds another version with another value.
// A build without the flag reports 0 (0.0.0); test/firmware/module.test.ts
// checks build/firmware.wasm against package.json.
// @ts-ignore: FW_VERSION is a compile-time constant (asc --use), absent from the type checker
export const FIRMWARE_VERSION: u32 = isDefined(FW_VERSION) ? <u32>FW_VERSION : 0;
