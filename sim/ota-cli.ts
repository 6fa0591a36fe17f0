/**
 * `iotbind-tank ota keygen | sign | push` (docs/OTA.md). Errors are one line
 * on stderr (IOTBIND_DEBUG=1 adds the stack); exit status 0 all done (push:
 * every device updated), 1 error or a device not updated, 2 usage error.
 */
import { parseArgs } from "node:util";
import { writeFileSync } from "node:fs";
import { readOrThrow, runSubcommand, Usage, usageOf } from "./subcommand.js";
import { generateKeys, signModule, pushImage, formatSummary, type PushProgress } from "./ota-push.js";

export const OTA_HELP = `iotbind-tank ota <command>

  ota keygen --out DIR
      writes DIR/ota-private.pem (keep it secret) and DIR/ota-public.pem
      (give it to the hosts: Device's ota.publicKey, the posix host's key file)
  ota sign --key ota-private.pem MODULE.wasm -o MODULE.signed
      appends the ECDSA P-256 signature (64 bytes) over the module
  ota push --broker mqtt://host:port (--device ID ... | --all) MODULE.signed
           [--user U --password P] [--ca FILE] [--timeout-s N]
      offers the image to each device (ID = its MQTT client id; --all: every
      device with a retained iotbind-tank/+/status), sends the chunks it asks
      for, and prints a summary: updated, rolled back, failed (with reason)

Exit status: 0 done (push: every device updated), 1 error or not all updated, 2 usage error.
`;

export function otaMain(argv: string[]): Promise<number> {
  return runSubcommand("ota", () => run(argv));
}

async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        out: { type: "string" }, key: { type: "string" }, o: { type: "string", short: "o" },
        broker: { type: "string" }, device: { type: "string", multiple: true }, all: { type: "boolean" },
        user: { type: "string" }, password: { type: "string" }, ca: { type: "string" }, "timeout-s": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    throw usageOf(e);
  }
  const { values: v, positionals: p } = parsed;
  if (v.help || p.length === 0) { process.stdout.write(OTA_HELP); return p.length === 0 && !v.help ? 2 : 0; }
  const cmd = p[0];
  if (cmd === "keygen") {
    if (!v.out) throw new Usage("keygen needs --out DIR");
    let r;
    try {
      r = generateKeys(v.out);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") throw new Error(`${v.out} already holds ota-private.pem: not overwritten`);
      throw e;
    }
    process.stdout.write(`wrote ${r.privatePath} (secret) and ${r.publicPath}\n`);
    return 0;
  }
  if (cmd === "sign") {
    if (!v.key) throw new Usage("sign needs --key ota-private.pem");
    if (p.length !== 2) throw new Usage("sign needs one MODULE.wasm");
    if (!v.o) throw new Usage("sign needs -o MODULE.signed");
    const signed = signModule(new Uint8Array(readOrThrow(p[1]!, "module")), readOrThrow(v.key, "key"));
    writeFileSync(v.o, signed);
    process.stdout.write(`wrote ${v.o} (${signed.length} bytes: module + 64-byte signature)\n`);
    return 0;
  }
  if (cmd === "push") {
    if (!v.broker) throw new Usage("push needs --broker mqtt://host:port");
    if (!/^(mqtts?|tcp):\/\//.test(v.broker)) throw new Usage(`--broker must be mqtt://host:port or mqtts://host:port, got "${v.broker}"`);
    if (!v.all === !v.device) throw new Usage("push needs --device ID (one or more) or --all");
    if (p.length !== 2) throw new Usage("push needs one MODULE.signed");
    const timeoutS = v["timeout-s"] === undefined ? 300 : Number(v["timeout-s"]);
    if (!Number.isInteger(timeoutS) || timeoutS < 1) throw new Usage(`--timeout-s must be a whole number of seconds >= 1, got "${v["timeout-s"]}"`);
    const image = new Uint8Array(readOrThrow(p[1]!, "image"));
    const tty = process.stderr.isTTY === true;
    const shown = new Map<string, string>();
    const onProgress = (x: PushProgress): void => {
      const pct = Math.floor((100 * x.offset) / x.size);
      const line = x.phase === "receiving" ? `${x.device}: receiving ${tty ? bar(pct) : `${Math.floor(pct / 10) * 10} %`}` : `${x.device}: ${x.phase}`;
      if (shown.get(x.device) === line) return;
      shown.set(x.device, line);
      process.stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
    };
    const results = await pushImage({
      url: v.broker, devices: v.all ? "all" : v.device!, image, timeoutS, onProgress,
      ...(v.user !== undefined ? { user: v.user } : {}), ...(v.password !== undefined ? { password: v.password } : {}),
      ...(v.ca ? { ca: readOrThrow(v.ca, "CA") } : {}),
    });
    if (tty) process.stderr.write("\r\x1b[K");
    process.stdout.write(`${formatSummary(results)}\n`);
    return results.every((r) => r.outcome === "updated") ? 0 : 1;
  }
  throw new Usage(`unknown ota command "${cmd}" (keygen, sign, push)`);
}

function bar(pct: number): string {
  const w = 30;
  const f = Math.round((w * pct) / 100);
  return `[${"#".repeat(f)}${".".repeat(w - f)}] ${pct} %`;
}
