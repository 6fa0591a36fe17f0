/**
 * `iotbind-tank config encode config.json [-o config.bin]`: the JSON firmware
 * config -> the binary config that `init` takes (docs/CONFIG.md "Binary
 * config"), e.g. for ESP32 NVS provisioning (key "firmware_bin",
 * boards/esp32/README.md). The encoder is the Node host's
 * (sim/config-binary.ts): a JSON mistake is one line naming the member; the
 * firmware still checks ranges and cross-member rules at init.
 * Exit status: 0 written, 1 the config was refused or a file error, 2 usage.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ConfigError, encodeConfig } from "./config-binary.js";

export const CONFIG_HELP = `usage: iotbind-tank config encode CONFIG.json [-o OUT.bin]

Encodes the firmware's JSON config (docs/CONFIG.md) to the binary config that
the firmware's init takes (for ESP32 NVS provisioning: key "firmware_bin").
Without -o the binary goes to stdout.

Exit status: 0 written, 1 config refused or file error, 2 usage error.
`;

export function configMain(argv: string[], out: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process): number {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { output: { type: "string", short: "o" }, help: { type: "boolean", short: "h" } } });
  } catch (e) {
    out.stderr.write(`iotbind-tank config: ${(e as Error).message.split("\n")[0]} (see iotbind-tank config --help)\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) { out.stdout.write(CONFIG_HELP); return 0; }
  if (positionals[0] !== "encode" || positionals.length !== 2) {
    const why = positionals[0] !== "encode" ? `unknown config command "${positionals[0] ?? ""}" (the command is "encode")` : positionals.length < 2 ? "no config file given" : `unexpected argument "${positionals[2]}"`;
    out.stderr.write(`iotbind-tank config: ${why} (see iotbind-tank config --help)\n`);
    return 2;
  }
  const file = positionals[1]!;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    out.stderr.write(`iotbind-tank config: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return 1;
  }
  let bin: Uint8Array;
  try {
    bin = encodeConfig(bytes); // a file that already is binary is copied as is
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    out.stderr.write(`iotbind-tank config: ${file}: ${e.message}\n`);
    return 1;
  }
  try {
    if (values.output !== undefined) writeFileSync(values.output, bin);
    else out.stdout.write(bin);
  } catch (e) {
    out.stderr.write(`iotbind-tank config: cannot write ${values.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return 1;
  }
  if (values.output !== undefined) out.stderr.write(`${file}: ${bin.length} bytes of binary config written to ${values.output}\n`);
  return 0;
}
