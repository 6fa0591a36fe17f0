/**
 * Control nesting and compile-stack height of every function of the release
 * module, against the limits of wasm3 with its ESP32 settings (nesting <= 32,
 * params + locals + operands <= 256 slots; test/helpers/wasm-nesting.ts,
 * ../shared/FACTS.md "wasm3 HEAD"). The analyser itself is checked on random
 * control trees (its figures equal the generator's) and on modules just over
 * and at each limit, so the release check can fail.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { analyzeModule, overLimits, MAX_CONTROL_NESTING, WASM3_ESP32_STACK_HEIGHT, type FunctionShape } from "../helpers/wasm-nesting.js";

const dir = mkdtempSync(join(tmpdir(), "iotbind-nesting-"));
let n = 0;
function compile(wat: string): Uint8Array {
  const base = join(dir, `m${n++}`);
  writeFileSync(`${base}.wat`, wat);
  execFileSync("wat2wasm", [`${base}.wat`, "-o", `${base}.wasm`]);
  return readFileSync(`${base}.wasm`);
}

/** A random control tree: blocks, loops and ifs (with or without else) around leaves that push k values and drop them. */
type Node = { kind: "leaf"; k: number } | { kind: "block" | "loop" | "if"; body: Node[]; alt?: Node[] };
const node: fc.Memo<Node> = fc.memo((d) =>
  d <= 1
    ? fc.record({ kind: fc.constant("leaf" as const), k: fc.integer({ min: 0, max: 40 }) })
    : fc.oneof(
        fc.record({ kind: fc.constant("leaf" as const), k: fc.integer({ min: 0, max: 40 }) }),
        fc.record({ kind: fc.constantFrom("block" as const, "loop" as const), body: fc.array(node(d - 1), { minLength: 1, maxLength: 3 }) }),
        fc.record({ kind: fc.constant("if" as const), body: fc.array(node(d - 1), { minLength: 1, maxLength: 2 }), alt: fc.option(fc.array(node(d - 1), { maxLength: 2 }), { nil: undefined }) }),
      ),
);

function emit(ns: Node[]): string {
  return ns.map((x) => {
    if (x.kind === "leaf") return "i32.const 1 ".repeat(x.k) + "drop ".repeat(x.k);
    if (x.kind === "if") return `i32.const 0 if ${emit(x.body)}${x.alt ? `else ${emit(x.alt)}` : ""}end `;
    return `${x.kind} ${emit(x.body)}end `;
  }).join("");
}
function depth(ns: Node[]): number {
  return Math.max(0, ...ns.map((x) => (x.kind === "leaf" ? 0 : 1 + Math.max(depth(x.body), depth(x.alt ?? [])))));
}
function operands(ns: Node[]): number {
  return Math.max(0, ...ns.map((x) => (x.kind === "leaf" ? x.k : Math.max(x.kind === "if" ? 1 : 0, operands(x.body), operands(x.alt ?? [])))));
}

describe("the nesting/stack-height analyser", () => {
  it("reports exactly the nesting depth and operand height of random control trees", () => {
    fc.assert(
      fc.property(fc.array(fc.array(node(8), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 3 }), (bodies, params) => {
        const p = params ? `(param${" i32".repeat(params)})` : "";
        const wat = `(module ${bodies.map((b, i) => `(func $f${i} ${p} (local i64 f32) ${emit(b)})`).join(" ")})`;
        const fns = analyzeModule(compile(wat));
        expect(fns).toHaveLength(bodies.length);
        fns.forEach((f, i) => {
          expect(f.maxNesting).toBe(depth(bodies[i]!));
          expect(f.maxOperands).toBe(operands(bodies[i]!));
          expect(f.stackHeight).toBe(params + 2 + operands(bodies[i]!));
        });
      }),
      { numRuns: 25, seed: 20261130 },
    );
  });

  it("counts calls, branches and results: a call's results, br_table's polymorphic rest, block results", () => {
    const wat = `(module
      (func $two (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
      (func $user (result i32)
        (block (result i32) i32.const 1 i32.const 2 i32.const 3 call $two i32.add)
        (block i32.const 1 i32.const 2 i32.const 3 br_table 0 0 0)
        (loop (result i32) i32.const 7)
        i32.add))`;
    const [two, user] = analyzeModule(compile(wat)) as [FunctionShape, FunctionShape];
    expect(two).toMatchObject({ params: 2, locals: 0, maxNesting: 0, maxOperands: 2 });
    // the first block's result stays on the stack while the second block pushes three
    expect(user).toMatchObject({ params: 0, maxNesting: 1, maxOperands: 4 });
  });

  it("flags a function one over each limit, and passes it at the limit", () => {
    const nest = (d: number) => `${"block ".repeat(d)}${"end ".repeat(d)}`;
    const push = (k: number) => `${"i32.const 0 ".repeat(k)}${"drop ".repeat(k)}`;
    const fns = analyzeModule(compile(`(module
      (func $deep ${nest(MAX_CONTROL_NESTING + 1)})
      (func $ok ${nest(MAX_CONTROL_NESTING)})
      (func $tall (param i32) (local i32 i32) ${push(WASM3_ESP32_STACK_HEIGHT - 2)})
      (func $fits (param i32) (local i32 i32) ${push(WASM3_ESP32_STACK_HEIGHT - 3)})
      (func $locals (local ${"i32 ".repeat(WASM3_ESP32_STACK_HEIGHT + 1)})))`));
    const bad = overLimits(fns);
    expect(bad).toHaveLength(3);
    expect(bad[0]).toMatch(/^function 0: control nesting 33/);
    expect(bad[1]).toMatch(/^function 2: .*stack height 257 = 1 params \+ 2 locals \+ 254 operands/);
    expect(bad[2]).toMatch(/^function 4: .*257 locals/);
  });

  it("refuses what it cannot decode instead of guessing", () => {
    const wasm = compile("(module (func i32.const 1 drop))");
    const broken = Uint8Array.from(wasm);
    broken[broken.length - 2] = 0xd5; // `drop` replaced by an opcode no MVP function has
    expect(() => analyzeModule(broken)).toThrow(/unsupported opcode|unexpected end/);
  });
});

describe("release firmware.wasm within wasm3's ESP32 compile limits", () => {
  it(`every function: control nesting <= ${MAX_CONTROL_NESTING}, params + locals + operands <= ${WASM3_ESP32_STACK_HEIGHT}`, () => {
    const fns = analyzeModule(readFileSync("build/firmware.wasm"));
    expect(fns.length).toBeGreaterThan(50);
    let bad = overLimits(fns);
    // name the offenders when the bench's names build (same sources and flags, plus a name section) matches
    const named = "build/bench/firmware.names.wasm";
    if (bad.length > 0 && existsSync(named)) {
      const nf = analyzeModule(readFileSync(named));
      if (nf.length === fns.length) bad = overLimits(fns.map((f, i) => ({ ...f, name: nf[i]!.name })));
    }
    expect(bad, `functions over wasm3's ESP32 limits (a giant switch is one block per case: use a table):\n${bad.join("\n")}`).toEqual([]);
  });
});
