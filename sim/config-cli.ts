/**
 * `iotbind-tank config encode config.json [-o config.bin]`: the JSON firmware
 * config -> the binary config that `init` takes (docs/CONFIG.md "Binary
 * config"), e.g. for ESP32 NVS provisioning (key "firmware_bin",
 * boards/esp32/README.md). The encoder is the Node host's
 * (sim/config-binary.ts): a JSON mistake is one line naming the member; the
 * firmware still checks ranges and cross-member rules at init.
 * Exit status: 0 written, 1 the config was refused or a file error, 2 usage.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ConfigError, encodeConfig } from "./config-binary.js";
import { readOrThrow, runSubcommand, Usage, usageOf } from "./subcommand.js";

export const CONFIG_HELP = `usage: iotbind-tank config encode CONFIG.json [-o OUT.bin]

Encodes the firmware's JSON config (docs/CONFIG.md) to the binary config that
the firmware's init takes (for ESP32 NVS provisioning: key "firmware_bin").
Without -o the binary goes to stdout.

Exit status: 0 written, 1 config refused or file error, 2 usage error.
`;

export function configMain(argv: string[]): Promise<number> {
  return runSubcommand("config", () => run(argv));
}

function run(argv: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { output: { type: "string", short: "o" }, help: { type: "boolean", short: "h" } } });
  } catch (e) {
    throw usageOf(e);
  }
  const { values, positionals } = parsed;
  if (values.help) { process.stdout.write(CONFIG_HELP); return 0; }
  if (positionals[0] !== "encode") throw new Usage(`unknown config command "${positionals[0] ?? ""}" (the command is "encode")`);
  if (positionals.length < 2) throw new Usage("no config file given");
  if (positionals.length > 2) throw new Usage(`unexpected argument "${positionals[2]}"`);
  const file = positionals[1]!;
  let bin: Uint8Array;
  try {
    bin = encodeConfig(readOrThrow(file)); // a file that already is binary is copied as is
  } catch (e) {
    if (e instanceof ConfigError) throw new Error(`${file}: ${e.message}`);
    throw e;
  }
  try {
    if (values.output !== undefined) writeFileSync(values.output, bin);
    else process.stdout.write(bin);
  } catch (e) {
    throw new Error(`cannot write ${values.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (values.output !== undefined) process.stderr.write(`${file}: ${bin.length} bytes of binary config written to ${values.output}\n`);
  return 0;
}
