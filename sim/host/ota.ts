/**
 * The Node host's OTA slots (docs/OTA.md): the host side of the hal ota_*
 * imports. Two slots A and B, in memory or as files in a directory, plus a
 * small state record {active, trial, previous}. The shipped module is slot
 * A's first content. `finish` verifies an ECDSA P-256 signature (SHA-256,
 * IEEE P1363 r||s) over the module with node:crypto before anything is
 * staged; the Device (device.ts) runs the trial, confirms it or rolls back.
 */
import { createPublicKey, verify, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { OtaImports } from "./hal.js";
import { OtaStatus } from "./abi.js";

/** Bytes of the signature behind the module in a signed image (ECDSA P-256, r || s). */
export const SIGNATURE_BYTES = 64;
/** Default slot size of the Node host: the largest signed image accepted. */
export const DEFAULT_SLOT_BYTES = 64 * 1024;
/** Default seconds a trial module has to be confirmed (`ota_confirm_s`). */
export const DEFAULT_CONFIRM_S = 120;

/** Why a trial was rolled back; written to kv "ota.rollback" as `<REASON> <version>`. */
export type RollbackReason = "INSTANTIATE_FAILED" | "INIT_TRAPPED" | "TRAPPED" | "INIT_REFUSED" | "NOT_CONFIRMED";

export interface OtaOptions {
  /** The public key that signs images: PEM (SubjectPublicKeyInfo, `openssl ec -pubout`) or a KeyObject. Without it every offer is refused UNSUPPORTED. */
  publicKey?: string | Buffer | KeyObject;
  /** Keep the slots and the state record as files here (slot-a.wasm, slot-b.wasm, ota-state.json); default: in memory. */
  dir?: string;
  /** Largest signed image (module + 64-byte signature) accepted, bytes. Default 64 KiB. */
  slotBytes?: number;
  /** Seconds a trial module has to be confirmed (`ota_confirm_s`). Default 120. */
  confirmS?: number;
}

export type SlotName = "A" | "B";

/** The persistent state record. `trial` true: `active` runs on trial and `previous` is where a rollback goes. */
export interface SlotState {
  active: SlotName;
  trial: boolean;
  previous: SlotName | null;
}

const other = (s: SlotName): SlotName => (s === "A" ? "B" : "A");

/** True when `bytes` start with the WebAssembly magic and version 1. */
export function isWasm(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d
    && bytes[4] === 1 && bytes[5] === 0 && bytes[6] === 0 && bytes[7] === 0;
}

/** Verifies `signature` (64 bytes r || s) over `module` with an ECDSA P-256 public key. */
export function verifyModule(module: Uint8Array, signature: Uint8Array, key: KeyObject): boolean {
  try {
    return verify("sha256", module, { key, dsaEncoding: "ieee-p1363" }, signature);
  } catch {
    return false;
  }
}

/**
 * Slots, state record and the transfer in progress. Implements the ota_*
 * imports (OtaImports); `activate` only records the request: the Device
 * restarts after the export call returns (`takeActivation`).
 */
export class OtaSlots implements OtaImports {
  readonly slotBytes: number;
  readonly confirmS: number;
  private readonly key: KeyObject | null;
  private readonly dir: string | null;
  private readonly mem = new Map<SlotName, Uint8Array<ArrayBuffer>>();
  private st: SlotState = { active: "A", trial: false, previous: null };
  private staged: SlotName | null = null;
  private xfer: { buf: Uint8Array<ArrayBuffer>; written: number; last: number } | null = null;
  private activateAsked = false;

  constructor(o: OtaOptions) {
    this.slotBytes = o.slotBytes ?? DEFAULT_SLOT_BYTES;
    this.confirmS = o.confirmS ?? DEFAULT_CONFIRM_S;
    this.key = o.publicKey === undefined ? null
      : typeof o.publicKey === "string" || Buffer.isBuffer(o.publicKey) ? createPublicKey(o.publicKey) : o.publicKey;
    this.dir = o.dir ?? null;
    if (this.dir) {
      mkdirSync(this.dir, { recursive: true });
      const f = join(this.dir, "ota-state.json");
      if (existsSync(f)) this.st = parseState(readFileSync(f, "utf8"));
    }
  }

  /** The state record (a copy). */
  get state(): SlotState { return { ...this.st }; }

  /** The module bytes of `slot`, or null for slot A still holding the shipped module (the Device's own). */
  slot(slot: SlotName): Uint8Array<ArrayBuffer> | null {
    if (!this.dir) return this.mem.get(slot) ?? null;
    const f = join(this.dir, `slot-${slot.toLowerCase()}.wasm`);
    return existsSync(f) ? new Uint8Array(readFileSync(f)) : null;
  }

  // ------------------------------------------------------------- ota_* imports

  begin(size: number): number {
    if (!this.key) return OtaStatus.UNSUPPORTED;
    if (size < SIGNATURE_BYTES + 1 || size > this.slotBytes) return OtaStatus.TOO_LARGE;
    this.staged = null;
    this.xfer = { buf: new Uint8Array(size), written: 0, last: 0 };
    return OtaStatus.OK;
  }

  write(offset: number, bytes: Uint8Array): number {
    const x = this.xfer;
    if (!x) return OtaStatus.NOT_STARTED;
    // In order without gaps; the last chunk may come again (a resend).
    if ((offset !== x.written && offset !== x.last) || offset + bytes.length > x.buf.length) {
      this.xfer = null;
      return OtaStatus.TRUNCATED;
    }
    x.buf.set(bytes, offset);
    x.last = offset;
    x.written = offset + bytes.length;
    return OtaStatus.OK;
  }

  finish(): number {
    const x = this.xfer;
    this.xfer = null;
    if (!x) return OtaStatus.NOT_STARTED;
    if (x.written !== x.buf.length) return OtaStatus.TRUNCATED;
    const module = x.buf.subarray(0, x.buf.length - SIGNATURE_BYTES);
    const sig = x.buf.subarray(x.buf.length - SIGNATURE_BYTES);
    if (!this.key || !verifyModule(module, sig, this.key)) return OtaStatus.BAD_SIGNATURE;
    if (!isWasm(module)) return OtaStatus.NOT_WASM;
    const target = other(this.st.active);
    try {
      this.store(target, module.slice());
    } catch {
      return OtaStatus.STORAGE;
    }
    this.staged = target;
    return OtaStatus.OK;
  }

  abort(): void {
    this.xfer = null;
  }

  activate(): void {
    if (this.staged) this.activateAsked = true;
  }

  // ------------------------------------------------------------- Device side

  /** The slot to restart into when the firmware asked (ota_activate) since the last call; clears the request. */
  takeActivation(): SlotName | null {
    if (!this.activateAsked || !this.staged) return null;
    this.activateAsked = false;
    const s = this.staged;
    this.staged = null;
    return s;
  }

  /** Records the switch to `slot` as a trial (relay off and restart are the Device's). */
  startTrial(slot: SlotName): void {
    this.st = { active: slot, trial: true, previous: this.st.active };
    this.save();
  }

  /** The trial passed: it stays. */
  confirm(): void {
    this.st = { active: this.st.active, trial: false, previous: this.st.previous };
    this.save();
  }

  /** The trial failed: back to `previous`. Returns the slot to run. */
  rollback(): SlotName {
    const back = this.st.previous ?? other(this.st.active);
    this.st = { active: back, trial: false, previous: this.st.active };
    this.save();
    return back;
  }

  private store(slot: SlotName, bytes: Uint8Array<ArrayBuffer>): void {
    if (!this.dir) { this.mem.set(slot, bytes); return; }
    const f = join(this.dir, `slot-${slot.toLowerCase()}.wasm`);
    writeFileSync(`${f}.tmp`, bytes);
    renameSync(`${f}.tmp`, f);
  }

  private save(): void {
    if (!this.dir) return;
    const f = join(this.dir, "ota-state.json");
    writeFileSync(`${f}.tmp`, `${JSON.stringify(this.st)}\n`);
    renameSync(`${f}.tmp`, f);
  }
}

function parseState(text: string): SlotState {
  try {
    const v = JSON.parse(text) as Partial<SlotState>;
    const slot = (s: unknown): SlotName | null => (s === "A" || s === "B" ? s : null);
    return { active: slot(v.active) ?? "A", trial: v.trial === true, previous: slot(v.previous) };
  } catch {
    return { active: "A", trial: false, previous: null };
  }
}
