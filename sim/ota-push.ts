/**
 * OTA tooling (docs/OTA.md): key generation, signing, and pushing a signed
 * image to devices through a broker. Used by `iotbind-tank ota ...` (cli.ts)
 * and by the tests.
 */
import { generateKeyPairSync, createPrivateKey, sign, randomInt } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import mqtt from "mqtt";
import { moduleVersion } from "./host/device.js";
import { SIGNATURE_BYTES, isWasm } from "./host/ota.js";

/** Image bytes per data message (the firmware's OTA_CHUNK_MAX). */
export const CHUNK_BYTES = 512;
/** An offer is repeated this often until the device answers (it may be offline or reconnecting). */
const REOFFER_MS = 5000;

/** Writes ota-private.pem (mode 0600) and ota-public.pem (SubjectPublicKeyInfo) to `dir`; returns their paths. */
export function generateKeys(dir: string): { privatePath: string; publicPath: string } {
  mkdirSync(dir, { recursive: true });
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const privatePath = join(dir, "ota-private.pem");
  const publicPath = join(dir, "ota-public.pem");
  writeFileSync(privatePath, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600, flag: "wx" });
  writeFileSync(publicPath, publicKey.export({ type: "spki", format: "pem" }));
  return { privatePath, publicPath };
}

/** `module || signature`: ECDSA P-256 over SHA-256(module), r || s (IEEE P1363, 64 bytes). Throws when `module` is not WebAssembly. */
export function signModule(module: Uint8Array, privateKeyPem: string | Buffer): Uint8Array {
  if (!isWasm(module)) throw new Error("not a WebAssembly module (no \\0asm version 1 header)");
  let key;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch {
    throw new Error("the key is not a PEM private key (use ota-private.pem from `iotbind-tank ota keygen` or openssl ecparam)");
  }
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    throw new Error("the key is not an ECDSA P-256 (prime256v1) private key");
  }
  const sig = sign("sha256", module, { key, dsaEncoding: "ieee-p1363" });
  const out = new Uint8Array(module.length + SIGNATURE_BYTES);
  out.set(module, 0);
  out.set(sig, module.length);
  return out;
}

export type PushOutcome = "updated" | "rolled-back" | "failed";

export interface PushResult {
  device: string;
  outcome: PushOutcome;
  /** updated: the new version; rolled back: the device's rollback reason; failed: the refusal name or "TIMEOUT …". */
  detail: string;
  /** The version the device reported last. */
  version: string;
  /** ms from the offer to the outcome. */
  ms: number;
}

export interface PushProgress {
  device: string;
  phase: "offered" | "receiving" | "staged" | PushOutcome;
  offset: number;
  size: number;
}

export interface PushOptions {
  /** mqtt:// or mqtts:// URL. */
  url: string;
  user?: string;
  password?: string;
  ca?: Buffer;
  /** Client ids of the devices, or "all": every device with a retained `iotbind-tank/+/status`. */
  devices: string[] | "all";
  /** The signed image (module || 64-byte signature). */
  image: Uint8Array;
  /** Give up on devices without an outcome after this long. Default 300 s. */
  timeoutS?: number;
  onProgress?: (p: PushProgress) => void;
  /** How long --all listens for retained statuses. Default 1000 ms. */
  discoverMs?: number;
}

interface Xfer {
  device: string;
  id: number;
  phase: PushProgress["phase"];
  version: string;
  started: number;
  offeredAt: number;
  result: PushResult | null;
}

interface Status { version?: unknown; ota?: unknown; offset?: unknown; size?: unknown; error?: unknown; rollback?: unknown }

const BASE = "iotbind-tank/";

/**
 * Pushes `image` to each device and waits for every outcome: updated (the
 * device reports the image's version), rolled back (it reports its old version
 * and a rollback reason), failed (a refusal, or no outcome within the timeout).
 */
export async function pushImage(o: PushOptions): Promise<PushResult[]> {
  if (o.image.length <= SIGNATURE_BYTES) throw new Error("the image is too short to hold a module and a signature");
  let target = "?"; // the version the image reports; a module that does not compile cannot be one (the device refuses it)
  try { target = moduleVersion(new WebAssembly.Module(o.image.slice(0, o.image.length - SIGNATURE_BYTES))); } catch { /* "?" */ }
  const timeoutMs = (o.timeoutS ?? 300) * 1000;
  const client = mqtt.connect(o.url, {
    clientId: `iotbind-ota-${randomInt(2 ** 31).toString(36)}`, clean: true, reconnectPeriod: 500, connectTimeout: 10_000,
    ...(o.user !== undefined ? { username: o.user } : {}), ...(o.password !== undefined ? { password: o.password } : {}),
    ...(o.ca ? { ca: o.ca } : {}),
  });
  const xfers = new Map<string, Xfer>();
  const retained = new Map<string, Status>();
  const progress = (x: Xfer, offset: number): void => o.onProgress?.({ device: x.device, phase: x.phase, offset, size: o.image.length });
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((r) => { resolveDone = r; });
  const finish = (x: Xfer, outcome: PushOutcome, detail: string): void => {
    if (x.result) return;
    x.result = { device: x.device, outcome, detail, version: x.version, ms: Date.now() - x.started };
    x.phase = outcome;
    progress(x, outcome === "updated" ? o.image.length : 0);
    if ([...xfers.values()].every((t) => t.result)) resolveDone();
  };
  const offer = (x: Xfer): void => {
    x.offeredAt = Date.now();
    client.publish(`${BASE}${x.device}/ota/offer`, JSON.stringify({ id: x.id, size: o.image.length }), { qos: 1 });
  };

  client.on("message", (topic, payload, packet) => {
    const parts = topic.split("/");
    if (parts.length < 3 || parts[0] !== "iotbind-tank") return;
    const device = parts[1]!;
    const kind = parts.slice(2).join("/");
    let msg: Status & { id?: unknown };
    try { msg = JSON.parse(payload.toString("utf8")) as Status & { id?: unknown }; } catch { return; }
    if (kind === "status" && packet.retain) { retained.set(device, msg); }
    const x = xfers.get(device);
    if (!x || x.result) return;
    if (typeof msg.version === "string" && kind === "status") x.version = msg.version;
    if (kind === "ota/want") {
      if (msg.id !== x.id || typeof msg.offset !== "number") return;
      const off = msg.offset;
      if (off < 0 || off >= o.image.length) return;
      const n = Math.min(CHUNK_BYTES, o.image.length - off);
      const data = Buffer.alloc(8 + n);
      data.writeUInt32LE(x.id, 0);
      data.writeUInt32LE(off, 4);
      data.set(o.image.subarray(off, off + n), 8);
      client.publish(`${BASE}${device}/ota/data`, data, { qos: 0 });
      if (x.phase === "offered") x.phase = "receiving";
      progress(x, off);
      return;
    }
    if (kind !== "status" || packet.retain) return; // a retained status predates this push
    if (msg.ota === "refused" && x.phase !== "staged" && typeof msg.error === "string" && msg.error !== "") {
      finish(x, "failed", msg.error);
    } else if (msg.ota === "staged") {
      x.phase = "staged";
      progress(x, o.image.length);
    } else if (x.phase === "staged" && msg.ota === "idle") {
      // A fresh instance after the restart: the new module, or the old one after a rollback.
      if (msg.version === target) finish(x, "updated", target);
      else finish(x, "rolled-back", typeof msg.rollback === "string" && msg.rollback ? msg.rollback : "UNKNOWN");
    }
  });

  try {
    await new Promise<void>((resolve, reject) => {
      client.once("connect", () => resolve());
      client.once("error", (e) => {
        const code = (e as NodeJS.ErrnoException).code;
        reject(new Error(typeof code === "string" ? `cannot reach the broker at ${o.url} (${code}): start it, or check --broker` : `the broker at ${o.url} refused the connection: ${e.message} (check --user and --password)`));
      });
    });
    await client.subscribeAsync([`${BASE}+/status`, `${BASE}+/ota/want`], { qos: 1 });
    let devices = o.devices;
    if (devices === "all") {
      await new Promise((r) => setTimeout(r, o.discoverMs ?? 1000));
      devices = [...retained.keys()].sort();
      if (devices.length === 0) throw new Error("no device found: no retained iotbind-tank/+/status on this broker");
    }
    const now = Date.now();
    for (const device of new Set(devices)) {
      const x: Xfer = { device, id: randomInt(1, 2 ** 31), phase: "offered", version: String(retained.get(device)?.version ?? "?"), started: now, offeredAt: 0, result: null };
      xfers.set(device, x);
      offer(x);
      progress(x, 0);
    }
    const timer = setInterval(() => {
      const t = Date.now();
      for (const x of xfers.values()) {
        if (x.result) continue;
        if (t - x.started >= timeoutMs) finish(x, "failed", `TIMEOUT (${x.phase})`);
        else if (x.phase === "offered" && t - x.offeredAt >= REOFFER_MS) offer(x);
      }
    }, 250);
    await done;
    clearInterval(timer);
    return [...xfers.values()].map((x) => x.result!);
  } finally {
    await client.endAsync(true).catch(() => {});
  }
}

/** The summary table of a push: one line per device, then the counts. */
export function formatSummary(results: PushResult[]): string {
  const w = Math.max(6, ...results.map((r) => r.device.length));
  const lines = [`${"device".padEnd(w)}  outcome      detail`];
  for (const r of results) lines.push(`${r.device.padEnd(w)}  ${r.outcome.padEnd(11)}  ${r.detail} (${(r.ms / 1000).toFixed(1)} s)`);
  const n = (k: PushOutcome) => results.filter((r) => r.outcome === k).length;
  lines.push(`${n("updated")} updated, ${n("rolled-back")} rolled back, ${n("failed")} failed`);
  return lines.join("\n");
}
