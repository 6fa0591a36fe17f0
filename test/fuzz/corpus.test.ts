/**
 * Every saved fuzz failure (fuzz-corpus/failures/*.json: seed, index, input
 * bytes, delivery plan) replayed on a fresh instance: each must pass now.
 * Plus a guard that the replay path itself can fail.
 */
import { describe, expect, it } from "vitest";
import { loadCases } from "../../sim/tools/fuzz/corpus.js";
import { replayCase, Session, DOWNLINK, FUZZ_UID } from "../../sim/tools/fuzz/fuzzers.js";
import { allowedRelayStates } from "../../sim/tools/fuzz/mutate.js";
import { loadFirmwareSync } from "../../sim/tools/fuzz/rig.js";
import { toHex } from "../../sim/tools/fuzz/rng.js";
import { publish } from "../../sim/tools/fuzz/mqtt-bytes.js";

describe("fuzz corpus replay", () => {
  const cases = loadCases();
  it.each(cases.map((x) => [x.file.split("/").pop()!, x.c] as const))("%s passes", (_name, c) => {
    expect(replayCase(c)).toBeNull();
  });

  it("replays a case and passes a clean one (and the corpus directory is readable)", () => {
    const ok = publish(DOWNLINK, `{"uid":"${FUZZ_UID}","cmd":"get"}`, 0);
    expect(replayCase({ fuzzer: "mqtt", seed: 1, index: 0, input: toHex(ok), chunks: [ok.length] })).toBeNull();
    expect(Array.isArray(cases)).toBe(true);
  });

  it("the oracles can fail: a wrong-topic command, an unasked relay change and a write above the statics are caught", () => {
    // relay oracle
    const enc = new TextEncoder();
    expect(allowedRelayStates(enc.encode(`{"uid":"${FUZZ_UID}","cmd":"on"}`), FUZZ_UID)).toEqual(new Set([true]));
    expect(allowedRelayStates(enc.encode(`{"uid":"${FUZZ_UID}","cmd":"on","key":"k"}`), FUZZ_UID).size).toBe(0);
    expect(allowedRelayStates(enc.encode(`{"uid":"x","cmd":"on","uid":"${FUZZ_UID}"}`), FUZZ_UID)).toEqual(new Set([true]));
    expect(allowedRelayStates(enc.encode(`{"uid":"${FUZZ_UID}","cmd":"on"`), FUZZ_UID).size).toBe(0);
    expect(allowedRelayStates(new Uint8Array([0x7b, 0xff, 0x7d]), FUZZ_UID).size).toBe(0);
    // the firmware obeys a valid command only on the downlink topic
    const s = new Session(loadFirmwareSync(), 1);
    s.deliver(publish("devices/other/state", `{"uid":"${FUZZ_UID}","cmd":"on"}`, 0), [1000], 1 << 30);
    expect(s.rig.relay).toBe(false);
    s.deliver(publish(DOWNLINK, `{"uid":"${FUZZ_UID}","cmd":"on"}`, 0), [1000], 1 << 30);
    expect(s.rig.relay).toBe(true);
    // memory oracle
    expect(s.rig.memoryProblem()).toBeNull();
    const g = s.rig.fw.guardStart;
    new Uint8Array(s.rig.memory.buffer)[g + 100] = 1;
    expect(s.rig.memoryProblem()).toMatch(/above the statics/);
    new Uint8Array(s.rig.memory.buffer)[g + 100] = 0;
    const seg = s.rig.fw.segments.find((x) => x.bytes.length > 4)!;
    const mem = new Uint8Array(s.rig.memory.buffer);
    mem[seg.offset] = mem[seg.offset]! ^ 0xff;
    expect(s.rig.memoryProblem()).toMatch(/read-only data changed/);
  });
});
