/**
 * A real mosquitto broker for tests: its own config, password file and log,
 * on a free loopback port. Fails loudly when the binary is missing.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync, existsSync, readFileSync, rmSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeTestPki } from "./pki.js";

export interface BrokerInfo {
  host: string;
  port: number;
  /** The account every test device and platform client uses. */
  user: string;
  password: string;
  /** mosquitto's log file (log_type all), for tests that read what the broker saw. */
  logFile: string;
  /** TLS listeners beside the plain one (when started with `tls: true`). */
  tls?: BrokerTlsInfo;
}

/** Three TLS listeners on 127.0.0.1, all with a throw-away PKI (test/harness/pki.ts). Connect as "localhost". */
export interface BrokerTlsInfo {
  /** Good: certificate for localhost/127.0.0.1 signed by `caFile`. */
  port: number;
  /** Certificate signed by another CA (`otherCaFile`): refused when trusting `caFile`. */
  untrustedPort: number;
  /** Certificate signed by `caFile` for wrong.example: refused as a name mismatch. */
  wrongNamePort: number;
  caFile: string;
  otherCaFile: string;
  /** SHA-256 fingerprint of the good listener's certificate. */
  fingerprint256: string;
}

export const BROKER_USER = "tank";
export const BROKER_PASSWORD = "s3cret-pass";

export function findMosquitto(): string {
  for (const p of ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"]) {
    if (existsSync(p)) return p;
  }
  const which = spawnSync("sh", ["-c", "command -v mosquitto"], { encoding: "utf8" });
  const found = which.stdout.trim();
  if (which.status === 0 && found) return found;
  throw new Error(
    "mosquitto is not installed: the broker tests need the real broker. Install it with `apt-get install -y mosquitto` (see .ci/run).",
  );
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => { s.destroy(); resolve(true); });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`mosquitto did not listen on port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A running mosquitto; `restart()` keeps port, config and accounts (for kill/restart tests). */
export class Mosquitto {
  readonly info: BrokerInfo;
  private proc: ChildProcess | null = null;
  private readonly dir: string;
  private readonly confFile: string;
  private readonly bin: string;

  private constructor(bin: string, dir: string, confFile: string, info: BrokerInfo) {
    this.bin = bin;
    this.dir = dir;
    this.confFile = confFile;
    this.info = info;
  }

  /** Starts a broker with password authentication (user tank / s3cret-pass) on a free port. */
  static async start(opts: { port?: number; tls?: boolean } = {}): Promise<Mosquitto> {
    const bin = findMosquitto();
    const dir = mkdtempSync(join(tmpdir(), "iotbind-mosq-"));
    const port = opts.port ?? (await freePort());
    let tls: BrokerTlsInfo | undefined;
    const tlsLines: string[] = [];
    if (opts.tls) {
      const pki = makeTestPki(dir);
      tls = {
        port: await freePort(), untrustedPort: await freePort(), wrongNamePort: await freePort(),
        caFile: pki.caFile, otherCaFile: pki.otherCaFile, fingerprint256: pki.serverFingerprint256,
      };
      const listeners: Array<[number, { cert: string; key: string }]> = [
        [tls.port, pki.server], [tls.untrustedPort, pki.untrusted], [tls.wrongNamePort, pki.wrongName],
      ];
      for (const [p, pair] of listeners) {
        tlsLines.push(`listener ${p} 127.0.0.1`, `certfile ${pair.cert}`, `keyfile ${pair.key}`);
      }
    }
    const pwFile = join(dir, "passwd");
    writeFileSync(pwFile, "");
    const pw = spawnSync("mosquitto_passwd", ["-b", pwFile, BROKER_USER, BROKER_PASSWORD], { encoding: "utf8" });
    if (pw.status !== 0) throw new Error(`mosquitto_passwd failed: ${pw.stderr || pw.error}`);
    const logFile = join(dir, "mosquitto.log");
    const confFile = join(dir, "mosquitto.conf");
    writeFileSync(
      confFile,
      [
        `listener ${port} 127.0.0.1`,
        "allow_anonymous false",
        `password_file ${pwFile}`,
        "persistence false",
        `log_dest file ${logFile}`,
        "log_type all",
        "connection_messages true",
        "log_timestamp true",
        "max_keepalive 65535",
        // Small MQTT packets must not wait for delayed ACKs (Nagle): virtual-time simulations wait for every reply.
        "set_tcp_nodelay true",
        // As root, mosquitto would drop to user "mosquitto", which cannot read this private temp dir.
        ...(process.getuid?.() === 0 ? ["user root"] : []),
        ...tlsLines,
        "",
      ].join("\n"),
    );
    const m = new Mosquitto(bin, dir, confFile, { host: "127.0.0.1", port, user: BROKER_USER, password: BROKER_PASSWORD, logFile, ...(tls ? { tls } : {}) });
    await m.launch();
    return m;
  }

  private async launch(): Promise<void> {
    const proc = spawn(this.bin, ["-c", this.confFile], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    proc.stderr?.on("data", (d: Buffer) => { stderr += d.toString(); });
    this.proc = proc;
    const exited = new Promise<never>((_, reject) =>
      proc.once("exit", (code) => reject(new Error(`mosquitto exited (${code}): ${stderr}`))),
    );
    await Promise.race([waitForPort(this.info.port, 10000), exited]);
    if (this.info.tls) await Promise.race([waitForPort(this.info.tls.wrongNamePort, 10000), exited]);
    proc.removeAllListeners("exit");
  }

  /** The broker's log so far. */
  log(): string {
    return existsSync(this.info.logFile) ? readFileSync(this.info.logFile, "utf8") : "";
  }

  /** SIGKILL, as a crash: no clean disconnects. */
  async kill(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => { p.once("exit", () => resolve()); p.kill("SIGKILL"); });
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (p && p.exitCode === null) {
      await new Promise<void>((resolve) => { p.once("exit", () => resolve()); p.kill("SIGTERM"); });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
