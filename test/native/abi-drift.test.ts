/**
 * docs/ABI.md, boards/host/iotbind_hal.h and the release module must describe
 * the same ABI: same functions, same signatures, same numbers. The parser
 * tests at the end prove that a drift in either file is caught.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { diffAbi, diffModule, parseAbiMd, parseHeader, parseObjdump, wamrSelfCheck, wamrSignature } from "./abi.js";

const ABI_MD = readFileSync("docs/ABI.md", "utf8");
const HEADER = readFileSync("boards/host/iotbind_hal.h", "utf8");
const WASM = "build/firmware.wasm";

describe("ABI drift: docs/ABI.md vs boards/host/iotbind_hal.h", () => {
  const md = parseAbiMd(ABI_MD);
  const h = parseHeader(HEADER);

  it("parses the whole of both", () => {
    expect(md.imports.size).toBe(26);
    expect(md.exports.size).toBe(19);
    expect(h.imports.size).toBe(md.imports.size);
    expect(h.exports.size).toBe(md.exports.size);
    for (const g of ["init", "conn", "disconnect", "quality", "refusal", "ota"]) {
      expect(md.enums.get(g)!.size, g).toBeGreaterThan(4);
    }
    expect(md.counters.length).toBeGreaterThan(20);
  });

  it("list the same imports, exports and numbers with the same signatures", () => {
    expect(diffAbi(md, h)).toEqual([]);
  });

  it("each WAMR signature string is the one its C prototype calls for", () => {
    expect(wamrSelfCheck(h)).toEqual([]);
    expect(wamrSelfCheck(md)).toEqual([]);
  });
});

describe("ABI drift: the release firmware.wasm", () => {
  it("imports only hal functions of ABI.md and exports exactly its functions and one fixed page", () => {
    expect(existsSync(WASM), `${WASM} is missing: run npm run build:wasm`).toBe(true);
    const mod = parseObjdump(execFileSync("wasm-objdump", ["-x", WASM], { encoding: "utf8" }));
    expect(mod.imports.length).toBeGreaterThan(0);
    const { problems, missing } = diffModule(parseAbiMd(ABI_MD), mod);
    expect(problems).toEqual([]);
    if (missing.length) console.info(`ABI imports the module does not use: ${missing.join(", ")}`);
  });
});

describe("the drift check fails on drift", () => {
  const md = parseAbiMd(ABI_MD);
  const drift = (header: string) => diffAbi(md, parseHeader(header));
  const mdDrift = (doc: string) => diffAbi(parseAbiMd(doc), parseHeader(HEADER));
  const replace = (text: string, from: string, to: string) => {
    expect(text).toContain(from);
    return text.replace(from, to);
  };

  it("an extra parameter in the header", () => {
    expect(drift(replace(HEADER, "hal_gpio_write(int32_t pin, int32_t level);", "hal_gpio_write(int32_t pin, int32_t level, int32_t x);")))
      .toEqual([expect.stringMatching(/^import gpio_write: ABI.md \(i32, i32\) -> i32, iotbind_hal.h \(i32, i32, i32\) -> i32$/)]);
  });

  it("a signedness change (u32 timeout read as i32)", () => {
    expect(drift(replace(HEADER, "uint32_t timeout_us", "int32_t timeout_us"))).toHaveLength(1);
  });

  it("a result type change", () => {
    const changed = replace(HEADER, "void hal_sock_close(int32_t h);", "int32_t hal_sock_close(int32_t h);");
    expect(drift(changed)).toEqual(["import sock_close: ABI.md (i32) -> void, iotbind_hal.h (i32) -> i32"]);
    // and the header's own WAMR table no longer fits the prototype
    expect(wamrSelfCheck(parseHeader(changed))).toEqual(["import sock_close: prototype needs (i)i, table says (i)"]);
  });

  it("an import missing from the header", () => {
    const d = drift(replace(HEADER, "uint32_t hal_random_u32(void);\n", ""));
    expect(d.join("\n")).toMatch(/random_u32/);
  });

  it("an import renamed in ABI.md", () => {
    const d = mdDrift(replace(ABI_MD, "| `hw_id` |", "| `hardware_id` |"));
    expect(d).toContain("import hardware_id: in ABI.md, not in iotbind_hal.h");
    expect(d).toContain("import hw_id: in iotbind_hal.h, not in ABI.md");
  });

  it("a WAMR signature string changed in ABI.md", () => {
    expect(mdDrift(replace(ABI_MD, "| `(i*~)i` | copies up to", "| `(ii*)i` | copies up to"))).toEqual([
      "import uart_read: WAMR signature ABI.md (ii*)i, iotbind_hal.h (i*~)i",
    ]);
  });

  it("an export signature changed in the header", () => {
    expect(drift(replace(HEADER, "X(tick, uint32_t, (uint32_t now_ms))", "X(tick, int32_t, (uint32_t now_ms))"))).toEqual([
      "export tick: ABI.md (u32) -> u32, iotbind_hal.h (u32) -> i32",
    ]);
  });

  it("a status code or counter id renumbered", () => {
    expect(drift(replace(HEADER, "IOTBIND_INIT_HAL_FAILED = -5", "IOTBIND_INIT_HAL_FAILED = -6"))).toEqual(["init HAL_FAILED: ABI.md -5, iotbind_hal.h -6"]);
    expect(drift(replace(HEADER, "IOTBIND_COUNTER_HAL_ERRORS = 81", "IOTBIND_COUNTER_HAL_ERRORS = 82"))).toHaveLength(1);
  });

  it("derives WAMR strings from C parameter kinds", () => {
    expect(wamrSignature({ params: ["ptr", "i32", "ptr", "i32"], result: "i32" })).toBe("(*~*~)i");
    expect(wamrSignature({ params: ["i32"], result: "void" })).toBe("(i)");
  });

  it("a module that imports from elsewhere or misses an export", () => {
    const objdump = [
      "Type[2]:", " - type[0] () -> i32", " - type[1] (i32) -> nil",
      "Import[2]:", " - func[0] sig=0 <env.abort> <- env.abort", " - func[1] sig=1 <hal.millis> <- hal.millis",
      "Function[1]:", " - func[2] sig=0 <abi_version>",
      "Memory[1]:", " - memory[0] pages: initial=2",
      "Export[2]:", " - memory[0] -> \"memory\"", " - func[2] <abi_version> -> \"abi_version\"",
    ].join("\n");
    const { problems } = diffModule(md, parseObjdump(objdump));
    expect(problems).toContain("module imports func env.abort");
    expect(problems).toContain("import millis: module (i32) -> nil, ABI.md () -> i32");
    expect(problems).toContain("export tick: in ABI.md, not in the module");
    expect(problems.join("\n")).toMatch(/memory is/);
  });
});
