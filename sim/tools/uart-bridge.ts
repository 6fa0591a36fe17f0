/**
 * uart-bridge: the host side of the UART modem of boards/rv32-qemu (protocol:
 * docs/UART-MODEM.md). It listens on a TCP port that QEMU's serial port
 * connects to, answers the device's config request, opens the real TCP
 * connections the device asks for (to mosquitto) and relays their bytes.
 *
 *   node dist/sim/tools/uart-bridge.js --config cfg.json [--image file.elf] [--port N] [--icount]
 *        [--flash FILE [--ota-public-key PEM] [--ota-confirm-s N]]
 *
 * --image: start qemu-system-riscv32 itself (-machine virt, serial to this
 * bridge) and exit with it; without it, print the QEMU command and wait.
 * --flash: the device's CFI flash (QEMU virt pflash unit 0, a 32 MiB raw
 * file, created blank when missing; its first word is the boot vector): its
 * OTA slots, slot record and kv `ota.rollback` persist there across runs
 * (docs/OTA.md, "RV32 image").
 * --ota-public-key / --ota-confirm-s write the provisioning block (block 0)
 * of that file first: the key enables OTA; the rest of the flash is kept.
 * stdout: the device's CH_EVENT lines (`RELAY on`, `RELAY off`, `BOOT …`,
 * `STATS …`, `FAULT …`); stderr: its log, `[seconds] E/W/I/D source: text`.
 * stdin: one command per line sent on CH_SIM (`level=40`, `temperature=25`,
 * `echo=0`, `echo=1`, `trap`); `!corrupt level=1` sends it with a wrong
 * checksum between line noise instead (a test of the device's decoder).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, statSync, writeSync, ftruncateSync } from "node:fs";
import { createServer, connect, type Socket } from "node:net";
import { createInterface } from "node:readline";

export const CH = { LOG: 0x01, EVENT: 0x02, CONFIG: 0x03, SIM: 0x04, SOCK_CTL: 0x10, SOCK_DATA: 0x20 } as const;
export const MAX_PAYLOAD = 512;

/** Fletcher-16 (mod 255) over len, channel and payload: [a, b]. */
export function fletcher16(bytes: Uint8Array): [number, number] {
  let a = 0;
  let b = 0;
  for (const x of bytes) {
    a = (a + x) % 255;
    b = (b + a) % 255;
  }
  return [a, b];
}

/** The head check: ~(len_lo + len_hi + channel) & 0xFF, so a frame whose len was hit is dropped before its len is used. */
export function headCheck(lenLo: number, lenHi: number, ch: number): number {
  return ~(lenLo + lenHi + ch) & 0xff;
}

export function encodeFrame(ch: number, payload: Uint8Array): Buffer {
  if (payload.length > MAX_PAYLOAD) throw new RangeError(`frame payload ${payload.length} > ${MAX_PAYLOAD}`);
  const head = [payload.length & 0xff, payload.length >> 8, ch];
  const [a, b] = fletcher16(Buffer.concat([Buffer.from(head), payload]));
  return Buffer.concat([Buffer.from([0xa5, 0x5a, ...head, headCheck(head[0]!, head[1]!, ch)]), payload, Buffer.from([a, b])]);
}

/** Incremental frame decoder: resynchronises on the next 0xA5 0x5A after a bad frame. */
export class FrameDecoder {
  private buf = Buffer.alloc(0);
  dropped = 0;
  constructor(private readonly onFrame: (ch: number, payload: Buffer) => void) {}

  push(data: Buffer): void {
    this.buf = Buffer.concat([this.buf, data]);
    for (;;) {
      const start = this.buf.indexOf(Buffer.from([0xa5, 0x5a]));
      if (start < 0) {
        this.buf = this.buf.subarray(this.buf.length && this.buf[this.buf.length - 1] === 0xa5 ? this.buf.length - 1 : this.buf.length);
        return;
      }
      this.buf = this.buf.subarray(start);
      if (this.buf.length < 6) return;
      const len = this.buf[2]! | (this.buf[3]! << 8);
      const ch = this.buf[4]!;
      if (len > MAX_PAYLOAD || this.buf[5] !== headCheck(this.buf[2]!, this.buf[3]!, ch)) { this.dropped++; this.buf = this.buf.subarray(1); continue; }
      if (this.buf.length < 8 + len) return;
      const [a, b] = fletcher16(Buffer.concat([this.buf.subarray(2, 5), this.buf.subarray(6, 6 + len)]));
      if (a !== this.buf[6 + len] || b !== this.buf[7 + len]) { this.dropped++; this.buf = this.buf.subarray(1); continue; }
      const payload = Buffer.from(this.buf.subarray(6, 6 + len));
      this.buf = this.buf.subarray(8 + len);
      this.onFrame(ch, payload);
    }
  }
}

export interface BridgeOptions {
  config: string;               // the firmware config JSON handed to the device
  log?: (line: string) => void; // device log lines
  event?: (line: string) => void;
}

/** One serial link: the device on `serial`, TCP sockets on its behalf. */
export class UartBridge {
  private readonly socks = new Map<number, { gen: number; sock: Socket }>();
  private readonly t0 = Date.now();
  private readonly decoder: FrameDecoder;

  constructor(private readonly serial: Socket, private readonly opts: BridgeOptions) {
    this.decoder = new FrameDecoder((ch, p) => this.frame(ch, p));
    serial.on("data", (d) => this.decoder.push(d));
    serial.on("close", () => { for (const s of this.socks.values()) s.sock.destroy(); this.socks.clear(); });
  }

  send(ch: number, payload: Uint8Array): void {
    if (!this.serial.destroyed) this.serial.write(encodeFrame(ch, payload));
  }

  sim(command: string): void {
    this.send(CH.SIM, Buffer.from(command));
  }

  /** Test hook: line noise (no 0xA5) around a SIM frame whose checksum is wrong; the device must drop that frame. */
  corrupt(command: string): void {
    const noise = () => Buffer.from(Array.from({ length: 16 }, () => Math.floor(Math.random() * 0xa5)));
    const bad = encodeFrame(CH.SIM, Buffer.from(command));
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 0x40;
    if (!this.serial.destroyed) this.serial.write(Buffer.concat([noise(), bad, noise()]));
  }

  private frame(ch: number, p: Buffer): void {
    if (ch === CH.LOG) {
      const level = "EWID"[p[0] ?? 9] ?? "?";
      const secs = ((Date.now() - this.t0) / 1000).toFixed(3).padStart(9);
      this.opts.log?.(`[${secs}] ${level} ${p.subarray(1).toString("latin1")}`);
    } else if (ch === CH.EVENT) {
      this.opts.event?.(p.toString("latin1"));
    } else if (ch === CH.CONFIG) {
      // [last (0/1)] [offset u16 LE] bytes…, in order; the device answers every request
      const cfg = Buffer.from(this.opts.config);
      const step = MAX_PAYLOAD - 3;
      for (let at = 0; at === 0 || at < cfg.length; at += step) {
        const last = at + step >= cfg.length ? 1 : 0;
        this.send(CH.CONFIG, Buffer.concat([Buffer.from([last, at & 0xff, at >> 8]), cfg.subarray(at, at + step)]));
      }
    } else if ((ch & 0xf0) === CH.SOCK_CTL && p.length >= 2) {
      this.ctl(ch & 0x0f, p);
    } else if ((ch & 0xf0) === CH.SOCK_DATA && p.length >= 1) {
      const s = this.socks.get(ch & 0x0f);
      if (s && s.gen === p[0]) s.sock.write(p.subarray(1));
    }
  }

  private ctl(h: number, p: Buffer): void {
    const op = String.fromCharCode(p[0]!);
    const gen = p[1]!;
    const old = this.socks.get(h);
    if (op === "X") {
      if (old && old.gen === gen) { old.sock.destroy(); this.socks.delete(h); }
      return;
    }
    if (op !== "C" || p.length < 5) return;
    if (old) old.sock.destroy();
    const port = p[2]! | (p[3]! << 8);
    const host = p.subarray(4).toString("latin1");
    const sock = connect({ host, port });
    const entry = { gen, sock };
    this.socks.set(h, entry);
    const current = () => this.socks.get(h) === entry;
    let failed = false;
    const fail = (why: string) => {
      if (failed || !current()) return;
      failed = true;
      this.socks.delete(h);
      this.send(CH.SOCK_CTL | h, Buffer.concat([Buffer.from(["F".charCodeAt(0), gen]), Buffer.from(why.slice(0, 80))]));
    };
    sock.on("connect", () => { if (current()) this.send(CH.SOCK_CTL | h, Buffer.from(["O".charCodeAt(0), gen])); });
    sock.on("data", (d) => {
      if (!current()) return;
      for (let i = 0; i < d.length; i += MAX_PAYLOAD - 1)
        this.send(CH.SOCK_DATA | h, Buffer.concat([Buffer.from([gen]), d.subarray(i, i + MAX_PAYLOAD - 1)]));
    });
    sock.on("error", (e) => fail(e.message));
    sock.on("close", () => fail("closed by peer"));
  }
}

/** The QEMU command line that connects the image's UART to 127.0.0.1:port (and its flash to a file). */
export function qemuArgs(image: string, port: number, icount: boolean, flash?: string): string[] {
  return [
    "-machine", "virt", "-m", "16M", "-bios", "none", "-kernel", image,
    "-display", "none", "-monitor", "none", "-parallel", "none",
    "-serial", `tcp:127.0.0.1:${port}`,
    ...(flash ? ["-drive", `if=pflash,format=raw,unit=0,file=${flash}`] : []),
    ...(icount ? ["-icount", "shift=0"] : []),
  ];
}

/** QEMU virt's pflash unit 0: its file must be exactly this size. */
export const FLASH_BYTES = 32 * 1024 * 1024;
/** Where the provisioning text starts, NUL-terminated, at most PROVISION_MAX bytes (boards/rv32-qemu/ota_rv32.c). */
export const PROVISION_OFF = 4096;
export const PROVISION_MAX = 4096;
/** With pflash0, QEMU virt resets to 0x20000000: `lui t0, 0x80000; jr t0` goes on to the -kernel image in DRAM. */
const BOOT_VECTOR = Buffer.from([0xb7, 0x02, 0x00, 0x80, 0x67, 0x80, 0x02, 0x00]);

/**
 * Creates the flash file when missing (blank: zeros, which the image reads as
 * "no record, no key"), writes its boot vector and, with `ota`, the
 * provisioning text: the JSON {"ota_public_key": PEM, "ota_confirm_s": N}
 * at PROVISION_OFF, ended by a NUL. Slots, record and kv are kept.
 */
export function prepareFlash(path: string, ota?: { publicKey: string; confirmS?: number }): void {
  if (!existsSync(path)) {
    const fd = openSync(path, "w");
    try { ftruncateSync(fd, FLASH_BYTES); } finally { closeSync(fd); }
  } else if (statSync(path).size !== FLASH_BYTES) {
    throw new Error(`${path} is ${statSync(path).size} bytes; the flash file must be ${FLASH_BYTES} (32 MiB)`);
  }
  const fd = openSync(path, "r+");
  try {
    writeSync(fd, BOOT_VECTOR, 0, BOOT_VECTOR.length, 0);
    if (!ota) return;
    const text = Buffer.from(JSON.stringify({ ota_public_key: ota.publicKey, ...(ota.confirmS ? { ota_confirm_s: ota.confirmS } : {}) }) + "\0");
    if (text.length > PROVISION_MAX) throw new Error(`the provisioning text is ${text.length} bytes; at most ${PROVISION_MAX}`);
    const block = Buffer.alloc(PROVISION_MAX, 0);
    text.copy(block);
    writeSync(fd, block, 0, block.length, PROVISION_OFF);
  } finally { closeSync(fd); }
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function main(): void {
  const configPath = arg("config");
  if (!configPath) {
    process.stderr.write("usage: uart-bridge --config cfg.json [--image file.elf] [--port N] [--icount] [--flash FILE [--ota-public-key PEM] [--ota-confirm-s N]]\n");
    process.exit(1);
  }
  let config: string;
  try {
    config = JSON.stringify(JSON.parse(readFileSync(configPath, "utf8")));
  } catch (e) {
    process.stderr.write(`uart-bridge: ${configPath}: ${(e as Error).message}\n`);
    process.exit(1);
  }
  const image = arg("image");
  const flash = arg("flash");
  const keyPath = arg("ota-public-key");
  if (keyPath && !flash) {
    process.stderr.write("uart-bridge: --ota-public-key needs --flash FILE (the key is provisioned into the flash)\n");
    process.exit(1);
  }
  if (flash) {
    try {
      const confirm = arg("ota-confirm-s");
      const confirmS = confirm === undefined ? undefined : Number(confirm);
      if (confirmS !== undefined && !(/^\d+$/.test(confirm!) && confirmS >= 1 && confirmS <= 86400)) throw new Error(`--ota-confirm-s ${confirm}: give whole seconds, 1 ... 86400`);
      prepareFlash(flash, keyPath ? { publicKey: readFileSync(keyPath, "utf8"), confirmS } : undefined);
    } catch (e) {
      process.stderr.write(`uart-bridge: ${(e as Error).message}\n`);
      process.exit(1);
    }
  }
  let bridge: UartBridge | undefined;
  let qemu: ChildProcess | undefined;
  const server = createServer((serial) => {
    if (bridge) { serial.destroy(); return; } // one device per bridge
    serial.setNoDelay(true);
    bridge = new UartBridge(serial, {
      config,
      log: (l) => process.stderr.write(l + "\n"),
      event: (l) => process.stdout.write(l + "\n"),
    });
    serial.on("close", () => { if (!qemu) process.exit(0); });
  });
  createInterface({ input: process.stdin }).on("line", (line) => {
    const cmd = line.trim();
    if (cmd.startsWith("!corrupt ")) bridge?.corrupt(cmd.slice(9));
    else if (cmd) bridge?.sim(cmd);
  });
  server.on("error", (e) => { process.stderr.write(`uart-bridge: ${e.message}\n`); process.exit(1); });
  server.listen(Number(arg("port") ?? 0), "127.0.0.1", () => {
    const port = (server.address() as { port: number }).port;
    const args = qemuArgs(image ?? "IMAGE.elf", port, process.argv.includes("--icount"), flash);
    if (!image) {
      process.stderr.write(`uart-bridge: listening on 127.0.0.1:${port}; run:\n  qemu-system-riscv32 ${args.join(" ")}\n`);
      return;
    }
    qemu = spawn(process.env.QEMU ?? "qemu-system-riscv32", args, { stdio: ["ignore", "inherit", "inherit"] });
    qemu.on("error", (e) => { process.stderr.write(`uart-bridge: cannot start QEMU: ${e.message}\n`); process.exit(1); });
    qemu.on("exit", (code, sig) => process.exit(code ?? (sig ? 128 : 1)));
    const stop = () => { qemu?.kill("SIGTERM"); };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) main();
