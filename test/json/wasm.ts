/**
 * Builds and loads the test-only JSON entry (test/as/json-entry.ts) with the
 * firmware's MVP flags, and wraps it for tests.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync, existsSync, statSync, readdirSync, renameSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { MVP_FLAGS } from "../helpers/asc-flags.js";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const ENTRY_WASM = join(ROOT, "build/test/json-entry.wasm");

export { MVP_FLAGS };

function newestMtime(dir: string): number {
  let m = 0;
  for (const f of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, f.name);
    m = Math.max(m, f.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return m;
}

/** Compiles the entry (a private empty asconfig keeps asc from adding the firmware entry). */
export function buildEntry(): void {
  const src = Math.max(newestMtime(join(ROOT, "assembly/json")), newestMtime(join(ROOT, "test/as")),
    newestMtime(join(ROOT, "assembly/util")));
  if (existsSync(ENTRY_WASM) && statSync(ENTRY_WASM).mtimeMs > src) return;
  mkdirSync(dirname(ENTRY_WASM), { recursive: true });
  const cfg = join(ROOT, "build/test/empty-asconfig.json");
  if (!existsSync(cfg)) writeFileSync(cfg, "{}\n");
  // Parallel test files may build at once: compile to a private file, then rename atomically.
  const tmp = `${ENTRY_WASM}.${process.pid}.tmp.wasm`;
  execFileSync(join(ROOT, "node_modules/.bin/asc"),
    ["test/as/json-entry.ts", "--config", cfg, ...MVP_FLAGS, "-o", tmp],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  renameSync(tmp, ENTRY_WASM);
}

export interface Entry {
  memory: WebAssembly.Memory;
  [k: string]: unknown;
}

export type Member =
  | { key: string; keyBytes: Uint8Array; type: "string"; value: string; bytes: Uint8Array; truncated: boolean; raw: string }
  | { key: string; keyBytes: Uint8Array; type: "number"; value: number; raw: string }
  | { key: string; keyBytes: Uint8Array; type: "true" | "false" | "null" | "object" | "array"; raw: string };

const TYPES = ["none", "string", "number", "true", "false", "null", "object", "array"] as const;
const dec = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export class JsonWasm {
  readonly ex: Record<string, (...a: number[]) => number>;
  readonly mem: WebAssembly.Memory;
  panics = 0;

  static async load(): Promise<JsonWasm> {
    buildEntry();
    const bytes = readFileSync(ENTRY_WASM);
    const self = { panics: 0 };
    const { instance } = await WebAssembly.instantiate(bytes, {
      hal: { panic: () => { self.panics++; } },
    });
    return new JsonWasm(instance);
  }

  private constructor(inst: WebAssembly.Instance) {
    this.ex = inst.exports as unknown as Record<string, (...a: number[]) => number>;
    this.mem = inst.exports.memory as WebAssembly.Memory;
  }

  bytes(ptr: number, len: number): Uint8Array {
    return new Uint8Array(this.mem.buffer, ptr, len).slice();
  }

  /** Writes the input and calls jsonOpen; returns its status. */
  open(input: Uint8Array | string): number {
    const b = typeof input === "string" ? new TextEncoder().encode(input) : input;
    const cap = this.ex.input_cap!();
    if (b.length > cap) throw new Error("input larger than the test buffer");
    new Uint8Array(this.mem.buffer, this.ex.input_ptr!(), b.length).set(b);
    return this.ex.open!(b.length);
  }

  members(): Member[] {
    const out: Member[] = [];
    let guard = 0;
    while (this.ex.next!() === 1) {
      if (++guard > 100000) throw new Error("jsonNext does not terminate");
      const keyBytes = this.bytes(this.ex.key_ptr!(), this.ex.key_len!());
      const key = dec.decode(keyBytes);
      const t = TYPES[this.ex.type!()]!;
      const raw = dec.decode(this.bytes(this.ex.raw_ptr!(), this.ex.raw_len!()));
      if (t === "string") {
        const bytes = this.bytes(this.ex.str_ptr!(), this.ex.str_len!());
        out.push({ key, keyBytes, type: "string", value: dec.decode(bytes), bytes, truncated: this.ex.str_truncated!() === 1, raw });
      } else if (t === "number") {
        out.push({ key, keyBytes, type: "number", value: this.ex.num!(), raw });
      } else if (t === "none") {
        throw new Error("member without a type");
      } else {
        out.push({ key, keyBytes, type: t, raw });
      }
    }
    return out;
  }

  /** Opens and returns the object as JSON.parse would build it (last wins), or the error code. */
  parse(input: Uint8Array | string): { rc: number; obj?: Record<string, unknown>; members?: Member[] } {
    const rc = this.open(input);
    if (rc !== 0) return { rc };
    const members = this.members();
    const obj: Record<string, unknown> = {};
    for (const m of members) {
      let v: unknown;
      switch (m.type) {
        case "string": v = m.value; break;
        case "number": v = m.value; break;
        case "true": v = true; break;
        case "false": v = false; break;
        case "null": v = null; break;
        default: v = JSON.parse(m.raw);
      }
      Object.defineProperty(obj, m.key, { value: v, enumerable: true, configurable: true, writable: true });
    }
    return { rc, obj, members };
  }
}
