/**
 * Fuzzer 3: the config, on both sides of the split. Half the inputs are JSON
 * (byte mutations and member-level edits of valid configs) through the host's
 * encoder into `init`; half are binary configs straight into `init` (records
 * replaced, duplicated, dropped; values at and just past every member's
 * range; bad UTF-8; unknown indexes; truncation; > config_cap). A fresh
 * instance each. No trap; memory one page; a status of the ABI table;
 * malformed JSON and > config_cap never accepted;
 * a refused config leaves the relay off, an error text and no socket, and its
 * init, ticks and shutdown call no hal import but `log` (no gpio_mode,
 * gpio_write, uart_open, adc, kv or socket: sim/tools/fuzz/fuzzers.ts,
 * ConfigBench); an accepted one connects and refuses a second init.
 */
import { describe, expect, it } from "vitest";
import { fuzzCi } from "../helpers/fuzz-run.js";

describe("fuzz: config into init", () => {
  it("survives 25,000 configs", () => {
    const s = fuzzCi("config", 25_000);
    // every outcome class is exercised
    for (const code of ["0", "-1", "-2", "-3"]) expect(s.initCodes[code] ?? 0, `init ${code}`).toBeGreaterThan(50);
  }, 120_000);
});
