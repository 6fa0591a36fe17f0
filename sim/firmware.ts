/**
 * The bundled firmware: build/firmware.wasm of this package (also importable
 * as the file `iotbind-tank/firmware.wasm`).
 */
import { readFile } from "node:fs/promises";
import { packagePath } from "./paths.js";

/** Absolute path of the bundled release build of firmware.wasm. */
export const FIRMWARE_PATH = packagePath("build", "firmware.wasm");

/** Absolute path of the bundled firmware.wasm (to copy it to a board, or hand it to another runtime). */
export function firmwarePath(): string {
  return FIRMWARE_PATH;
}

/** The bytes of the bundled firmware.wasm. */
export async function firmwareBytes(): Promise<Uint8Array> {
  return new Uint8Array(await readFile(FIRMWARE_PATH));
}
