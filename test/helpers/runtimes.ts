/**
 * The native hosts under test: the same boards/host + boards/platform/posix
 * with each runtime adapter, built by `npm run build:native` (the vitest
 * global setup runs it once per test run). wasm2c compiles the module in;
 * the others load the bytes given with --wasm.
 */
import { packagePath } from "../../sim/paths.js";

export type RuntimeName = "wasm2c" | "wamr-classic" | "wamr-fast" | "wasm3";

export interface NativeRuntime {
  name: RuntimeName;
  /** The host binary built from build/firmware.wasm (wasm2c) or loading any module (the others). */
  bin: string;
  /** true: the host loads the module named by --wasm at run time. */
  loads: boolean;
}

export const NATIVE_DIR = packagePath("build", "native");

export const RUNTIMES: readonly NativeRuntime[] = [
  { name: "wasm2c", bin: packagePath("build", "native", "iotbind-tank-host"), loads: false },
  { name: "wamr-classic", bin: packagePath("build", "native", "iotbind-tank-host-wamr-classic"), loads: true },
  { name: "wamr-fast", bin: packagePath("build", "native", "iotbind-tank-host-wamr-fast"), loads: true },
  { name: "wasm3", bin: packagePath("build", "native", "iotbind-tank-host-wasm3"), loads: true },
];

/** Command line of `rt` running the release firmware with `args`. */
export function releaseArgs(rt: NativeRuntime, args: string[]): string[] {
  return rt.loads ? ["--wasm", packagePath("build", "firmware.wasm"), ...args] : args;
}
