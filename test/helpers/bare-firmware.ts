/**
 * The release firmware with a recording, inert `hal`: no network, no world.
 * For tests of init/config and of single exports, where a full Device is
 * more than needed. Every import is recorded by name.
 */
import { readFileSync } from "node:fs";
import { DEFAULT_FIRMWARE_PATH } from "../../sim/host/device.js";
import { errorText, writeConfig, type FirmwareExports } from "../../sim/host/abi.js";
import { ConfigError, encodeConfig, renderConfigError } from "../../sim/config-binary.js";

let compiled: WebAssembly.Module | null = null;
export function firmwareModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(DEFAULT_FIRMWARE_PATH));
  return compiled;
}

export interface BareFirmware {
  exports: FirmwareExports;
  /** Every hal call, in order: name and arguments. */
  calls: Array<{ name: string; args: number[] }>;
  logs: string[];
  /** Result of init. */
  status: number;
  /** The error as a host shows it (member names); `raw` is the firmware's own text (member indexes). */
  error: string;
  raw: string;
}

/**
 * Instantiates the firmware, writes `config` (object, JSON text, or a binary config; `asIs`: these bytes as they are) and calls init.
 * `fails(k)`: hal call number k (0-based, in call order) returns -1 instead of its usual result.
 */
export function bootBare(config: unknown, nowMs = 1000, asIs = false, fails: (k: number) => boolean = () => false): BareFirmware {
  const calls: BareFirmware["calls"] = [];
  const logs: string[] = [];
  let memory: WebAssembly.Memory | null = null;
  const text = (p: number, l: number): string => new TextDecoder().decode(new Uint8Array(memory!.buffer, p, l));
  const names = WebAssembly.Module.imports(firmwareModule()).map((i) => i.name);
  const hal: Record<string, (...a: number[]) => number> = {};
  for (const name of names) {
    hal[name] = (...args: number[]) => {
      calls.push({ name, args });
      if (fails(calls.length - 1)) return -1;
      if (name === "millis") return nowMs;
      if (name === "log") { logs.push(text(args[1]!, args[2]!)); return 0; }
      if (name === "kv_get" || name === "sock_connect") return -1;
      if (name === "hw_id") return 0;
      return 0;
    };
  }
  const instance = new WebAssembly.Instance(firmwareModule(), { hal });
  const exports = instance.exports as unknown as FirmwareExports;
  memory = exports.memory;
  // Like every host: JSON (object or text) is encoded to the binary config;
  // a Uint8Array that is already binary goes in as is. A config the encoder
  // refuses never reaches init (status and error as the encoder says them).
  let bytes: Uint8Array;
  try {
    bytes = asIs ? (config as Uint8Array) : encodeConfig(config);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { exports, calls, logs, status: e.code, error: e.message, raw: "" };
  }
  const status = exports.init(writeConfig(exports, bytes));
  const raw = errorText(exports);
  return { exports, calls, logs, status, error: renderConfigError(raw), raw };
}
