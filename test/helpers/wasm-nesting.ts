/**
 * Per-function control nesting and operand-stack height of a wasm module,
 * read from its binary: what small interpreters limit when they compile a
 * function.
 *
 *  - wasm3 (0.5.0, and HEAD's validator) compiles each function onto a stack
 *    of `d_m3MaxFunctionStackHeight` slots: parameters + locals + operands.
 *    Its esp32-idf example sets 256; HEAD also limits control nesting to
 *    d_m3ValCtrlDepth = 256 / 8 = 32 ("compiling function overran its stack
 *    height limit", ../shared/FACTS.md).
 *  - WAMR and wasm2c have no such small limits, but a deep function costs
 *    WAMR's classic interpreter block-address look-ups.
 *
 * analyzeModule() walks every function body with the MVP's stack effects
 * (plus sign-extension, non-trapping float-to-int and bulk memory, so a
 * non-MVP build is measured too, not mistaken) and throws on anything it
 * cannot decode: it never guesses. Heights after an unconditional branch
 * (`br`, `br_table`, `return`, `unreachable`) restart from the enclosing
 * block's entry height, as a validator's polymorphic stack does.
 */

export const WASM3_ESP32_STACK_HEIGHT = 256;
export const MAX_CONTROL_NESTING = WASM3_ESP32_STACK_HEIGHT / 8; // 32: wasm3 HEAD's d_m3ValCtrlDepth

export interface FunctionShape {
  /** Function index (imports first, as in the module's index space). */
  index: number;
  /** From the name section when there is one. */
  name: string | null;
  params: number;
  locals: number;
  /** Deepest block/loop/if nesting inside the body (the body itself is 0). */
  maxNesting: number;
  /** Highest operand-stack height (values, not counting params and locals). */
  maxOperands: number;
  /** params + locals + maxOperands: wasm3's compile-stack slots for this function. */
  stackHeight: number;
}

class Reader {
  pos = 0;
  constructor(readonly b: Uint8Array, start = 0, readonly end = b.length) { this.pos = start; }
  byte(): number {
    if (this.pos >= this.end) throw new Error(`unexpected end at byte ${this.pos}`);
    return this.b[this.pos++]!;
  }
  u32(): number {
    let result = 0, shift = 0, b: number;
    do {
      b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return result;
  }
  /** A signed LEB128 of at most `bits` bits (value not needed: skipped). */
  sleb(): void {
    let b: number;
    do b = this.byte(); while (b & 0x80);
  }
  skip(n: number): void {
    this.pos += n;
    if (this.pos > this.end) throw new Error("unexpected end");
  }
  name(): string {
    const n = this.u32();
    const s = new TextDecoder().decode(this.b.subarray(this.pos, this.pos + n));
    this.skip(n);
    return s;
  }
}

interface FuncType { params: number; results: number }

/** Block type: empty (0x40), a value type, or a type index (multi-value). */
function blockType(r: Reader, types: FuncType[]): FuncType {
  const first = r.b[r.pos]!;
  if (first === 0x40) { r.pos++; return { params: 0, results: 0 }; }
  if (first === 0x7f || first === 0x7e || first === 0x7d || first === 0x7c || first === 0x7b || first === 0x70 || first === 0x6f) { r.pos++; return { params: 0, results: 1 }; }
  const start = r.pos;
  r.sleb();
  // a non-negative s33 type index
  let v = 0, shift = 0;
  for (let i = start; i < r.pos; i++) { v += (r.b[i]! & 0x7f) * 2 ** shift; shift += 7; }
  const t = types[v];
  if (!t) throw new Error(`block type index ${v} out of range`);
  return t;
}

/** Stack effect [pops, pushes] of the simple opcodes (no immediates besides those skipped by the caller). */
function simpleEffect(op: number): [number, number] | null {
  if (op === 0x1a) return [1, 0]; // drop
  if (op === 0x1b) return [3, 1]; // select
  if (op === 0x45 || op === 0x50) return [1, 1]; // eqz
  if ((op >= 0x46 && op <= 0x4f) || (op >= 0x51 && op <= 0x66)) return [2, 1]; // comparisons
  if ((op >= 0x67 && op <= 0x69) || (op >= 0x79 && op <= 0x7b) || (op >= 0x8b && op <= 0x91) || (op >= 0x99 && op <= 0x9f)) return [1, 1]; // unary
  if ((op >= 0x6a && op <= 0x78) || (op >= 0x7c && op <= 0x8a) || (op >= 0x92 && op <= 0x98) || (op >= 0xa0 && op <= 0xa6)) return [2, 1]; // binary
  if (op >= 0xa7 && op <= 0xc4) return [1, 1]; // conversions, reinterpretations, sign-extension
  return null;
}

interface Frame { entry: number; results: number; params: number }

function analyzeBody(r: Reader, types: FuncType[], funcTypes: FuncType[], globalsCount: number, fn: FunctionShape, resultCount: number): void {
  void globalsCount;
  let h = 0;
  let maxH = 0;
  const frames: Frame[] = [{ entry: 0, results: resultCount, params: 0 }];
  let maxNesting = 0;
  const push = (n: number) => { h += n; if (h > maxH) maxH = h; };
  const pop = (n: number) => { h = Math.max(frames.at(-1)!.entry, h - n); };
  const polymorphic = () => { h = frames.at(-1)!.entry; };
  while (frames.length > 0) {
    const op = r.byte();
    const eff = simpleEffect(op);
    if (eff) { pop(eff[0]); push(eff[1]); continue; }
    switch (op) {
      case 0x00: polymorphic(); break; // unreachable
      case 0x01: break; // nop
      case 0x02: case 0x03: case 0x04: { // block, loop, if
        const t = blockType(r, types);
        if (op === 0x04) pop(1);
        pop(t.params);
        frames.push({ entry: h, results: t.results, params: t.params });
        push(t.params);
        maxNesting = Math.max(maxNesting, frames.length - 1);
        break;
      }
      case 0x05: { const f = frames.at(-1)!; h = f.entry; push(f.params); break; } // else
      case 0x0b: { // end
        const f = frames.pop()!;
        h = f.entry;
        push(f.results);
        break;
      }
      case 0x0c: r.u32(); polymorphic(); break; // br
      case 0x0d: r.u32(); pop(1); break; // br_if
      case 0x0e: { const n = r.u32(); for (let i = 0; i <= n; i++) r.u32(); pop(1); polymorphic(); break; } // br_table
      case 0x0f: polymorphic(); break; // return
      case 0x10: { // call
        const t = funcTypes[r.u32()];
        if (!t) throw new Error(`call to an unknown function in function ${fn.index}`);
        pop(t.params); push(t.results);
        break;
      }
      case 0x11: { // call_indirect
        const t = types[r.u32()];
        r.u32(); // table
        if (!t) throw new Error(`call_indirect with an unknown type in function ${fn.index}`);
        pop(t.params + 1); push(t.results);
        break;
      }
      case 0x20: r.u32(); push(1); break; // local.get
      case 0x21: r.u32(); pop(1); break; // local.set
      case 0x22: r.u32(); pop(1); push(1); break; // local.tee
      case 0x23: r.u32(); push(1); break; // global.get
      case 0x24: r.u32(); pop(1); break; // global.set
      case 0x3f: case 0x40: r.byte(); if (op === 0x40) pop(1); push(1); break; // memory.size / memory.grow
      case 0x41: case 0x42: r.sleb(); push(1); break; // i32/i64.const
      case 0x43: r.skip(4); push(1); break; // f32.const
      case 0x44: r.skip(8); push(1); break; // f64.const
      case 0xfc: { // non-trapping f2i, bulk memory
        const sub = r.u32();
        if (sub <= 7) { pop(1); push(1); }
        else if (sub === 8) { r.u32(); r.byte(); pop(3); } // memory.init
        else if (sub === 9) { r.u32(); } // data.drop
        else if (sub === 10) { r.byte(); r.byte(); pop(3); } // memory.copy
        else if (sub === 11) { r.byte(); pop(3); } // memory.fill
        else throw new Error(`unsupported opcode 0xfc ${sub} in function ${fn.index}`);
        break;
      }
      default:
        if (op >= 0x28 && op <= 0x3e) { // loads and stores: memarg
          r.u32(); r.u32();
          if (op <= 0x35) { pop(1); push(1); } else pop(2);
          break;
        }
        throw new Error(`unsupported opcode 0x${op.toString(16)} in function ${fn.index} at byte ${r.pos - 1}`);
    }
  }
  if (r.pos !== r.end) throw new Error(`function ${fn.index}: body ends at ${r.pos}, expected ${r.end}`);
  fn.maxNesting = maxNesting;
  fn.maxOperands = maxH;
  fn.stackHeight = fn.params + fn.locals + maxH;
}

/** Every defined function's nesting and stack height. Throws on a malformed or undecodable module. */
export function analyzeModule(wasm: Uint8Array): FunctionShape[] {
  if (wasm.length < 8 || wasm[0] !== 0 || wasm[1] !== 0x61 || wasm[2] !== 0x73 || wasm[3] !== 0x6d) throw new Error("not a wasm module");
  const types: FuncType[] = [];
  const funcTypes: FuncType[] = [];
  let imported = 0;
  let globals = 0;
  const bodies: { start: number; end: number }[] = [];
  const names = new Map<number, string>();
  const r = new Reader(wasm, 8);
  while (r.pos < wasm.length) {
    const id = r.byte();
    const size = r.u32();
    const end = r.pos + size;
    const s = new Reader(wasm, r.pos, end);
    if (id === 1) {
      for (let n = s.u32(); n > 0; n--) {
        if (s.byte() !== 0x60) throw new Error("type section: not a function type");
        const params = s.u32(); s.skip(params);
        const results = s.u32(); s.skip(results);
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = s.u32(); n > 0; n--) {
        s.name(); s.name();
        const kind = s.byte();
        if (kind === 0) { funcTypes.push(types[s.u32()]!); imported++; }
        else if (kind === 1) { s.byte(); const f = s.byte(); s.u32(); if (f & 1) s.u32(); }
        else if (kind === 2) { const f = s.byte(); s.u32(); if (f & 1) s.u32(); }
        else if (kind === 3) { s.byte(); s.byte(); globals++; }
        else throw new Error(`import kind ${kind}`);
      }
    } else if (id === 3) {
      for (let n = s.u32(); n > 0; n--) funcTypes.push(types[s.u32()]!);
    } else if (id === 10) {
      for (let n = s.u32(); n > 0; n--) {
        const len = s.u32();
        bodies.push({ start: s.pos, end: s.pos + len });
        s.skip(len);
      }
    } else if (id === 0) {
      if (s.name() === "name") {
        while (s.pos < end) {
          const sub = s.byte();
          const subEnd = s.u32() + s.pos;
          if (sub === 1) for (let n = s.u32(); n > 0; n--) { const i = s.u32(); names.set(i, s.name()); }
          s.pos = subEnd;
        }
      }
    }
    r.pos = end;
  }
  return bodies.map(({ start, end }, k) => {
    const index = imported + k;
    const t = funcTypes[index];
    if (!t) throw new Error(`function ${index} has no type`);
    const b = new Reader(wasm, start, end);
    let locals = 0;
    for (let n = b.u32(); n > 0; n--) { locals += b.u32(); b.byte(); }
    const fn: FunctionShape = { index, name: names.get(index) ?? null, params: t.params, locals, maxNesting: 0, maxOperands: 0, stackHeight: 0 };
    analyzeBody(b, types, funcTypes, globals, fn, t.results);
    return fn;
  });
}

/** Functions over either limit, described one per line (empty when the module is within both). */
export function overLimits(fns: FunctionShape[], maxNesting = MAX_CONTROL_NESTING, maxHeight = WASM3_ESP32_STACK_HEIGHT): string[] {
  return fns
    .filter((f) => f.maxNesting > maxNesting || f.stackHeight > maxHeight)
    .map((f) => `function ${f.index}${f.name ? ` (${f.name})` : ""}: control nesting ${f.maxNesting} (limit ${maxNesting}), stack height ${f.stackHeight} = ${f.params} params + ${f.locals} locals + ${f.maxOperands} operands (limit ${maxHeight})`);
}
