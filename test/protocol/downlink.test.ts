/**
 * Platform -> device: every downlink rule of PROTOCOL.md against the real
 * broker, with mqtt.js publishing what the platform (or anyone) could send.
 * Each message must end in exactly one counter of ids 32..39 (docs/ABI.md).
 */
import { describe, expect, it } from "vitest";
import { rig, useCleanup, waitFor, sleep, type Rig } from "./setup.js";
import { ConnState, Counter } from "../../sim/host/abi.js";

useCleanup();

/** The doc's downlink example, literally (its uid is "UniqueID"). */
const DOC_STATE = '{\n     "uid":"UniqueID",\n     "name":"DeviceName",\n     "type":"Water Level",\n     "cmd":"on",\n     "level":"67",\n     "level_unit":"%",\n     "temperature":"21",\n     "temperature_unit":"C"\n}';
/** The doc's on/off request example (device -> platform), e.g. seen on a shared topic. */
const DOC_REQUEST = '{\n    "uid":"UniqueID",\n    "key":"Device API secret key",\n    "cmd":"on"\n}';

const IDS = [32, 33, 34, 35, 36, 37, 38, 39] as const;
function counts(r: Rig): Record<number, number> {
  const o: Record<number, number> = {};
  for (const id of IDS) o[id] = r.dut.device.counter(id);
  return o;
}
function total(c: Record<number, number>): number {
  return IDS.reduce((s, id) => s + c[id]!, 0);
}

/** Publishes each payload and waits until each was counted once; returns the counter deltas. */
async function send(r: Rig, payloads: Array<string | Buffer>): Promise<Record<number, number>> {
  const before = counts(r);
  for (const p of payloads) await r.platform.publish(r.dut.fx.downlink, p);
  await waitFor(() => total(counts(r)) - total(before) >= payloads.length, 5000, `${payloads.length} downlinks counted`);
  await sleep(100);
  const after = counts(r);
  const d: Record<number, number> = {};
  for (const id of IDS) if (after[id]! - before[id]! !== 0) d[id] = after[id]! - before[id]!;
  expect(total(after) - total(before)).toBe(payloads.length);
  return d;
}

const state = (uid: string, cmd: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ uid, name: "Tank", type: "Water Level", cmd, level: "42", level_unit: "%", temperature: "20", temperature_unit: "C", ...extra });

describe("downlink rules", () => {
  it("acts on the doc's state example literally (pretty-printed, strings), then on \"off\"", async () => {
    const r = await rig({ uid: "UniqueID" });
    expect(await send(r, [DOC_STATE])).toEqual({ 32: 1 });
    expect(r.dut.hw.relayOn).toBe(true);
    expect(await send(r, [DOC_STATE.replace('"cmd":"on"', '"cmd":"off"')])).toEqual({ 32: 1 });
    expect(r.dut.hw.relayOn).toBe(false);
  });

  it("ignores the doc's request example (it has a key): the device's own uplink on a shared topic", async () => {
    const r = await rig({ uid: "UniqueID" });
    expect(await send(r, [DOC_REQUEST])).toEqual({ 34: 1 });
    expect(r.dut.hw.relayOn).toBe(false);
  });

  it("ignores its own uplinks when the downlink topic is the uplink topic (shared topic)", async () => {
    const topic = `iotbind/tank/shared-${Math.random().toString(36).slice(2, 10)}`;
    const r = await rig({ uplink_topic: topic, downlink_topic: topic, button_pin: 0 });
    await waitFor(() => r.dut.device.counter(Counter.DOWNLINK_HAS_KEY) >= 2, 5000, "own get and reading come back and are ignored");
    r.dut.hw.pressButton(200);
    await waitFor(() => r.dut.hw.relayOn, 3000, "relay on by the button");
    await sleep(800);
    expect(r.dut.hw.relayOn).toBe(true); // its own {"cmd":"on"} report did not do anything
    expect(r.dut.device.counter(Counter.DOWNLINK_ACCEPTED)).toBe(0);
  });

  it("accepts values as numbers, members in any order, unknown members with nesting, whitespace and escapes", async () => {
    const r = await rig({});
    const uid = r.dut.fx.uid;
    const esc = [...uid].map((c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0")).join("");
    const d = await send(r, [
      `{"level":67,"temperature":-21.5e0,"cmd":"on","uid":"${uid}"}`,
      ` \r\n\t{ "x" : {"a":[1,{"b":[[],{}]}],"c":null} , "cmd" :\t"\\u006f\\u0066f" ,"uid":"${esc}","flag":true,"n":null }\n `,
      `{"uid":"${uid}","name":"\\ud83d\\udca7 Tank \\"A\\" \\\\ \\/","cmd":"on","level":"67.5"}`,
    ]);
    expect(d).toEqual({ 32: 3 });
    expect(r.dut.hw.relayOn).toBe(true);
  });

  it("a state without cmd is accepted and changes nothing", async () => {
    const r = await rig({});
    expect(await send(r, [`{"uid":"${r.dut.fx.uid}","level":"10"}`])).toEqual({ 32: 1 });
    expect(r.dut.hw.relayOn).toBe(false);
  });

  it("compares a numeric uid by its literal text", async () => {
    const uid = String(100000 + Math.floor(Math.random() * 800000));
    const r = await rig({ uid });
    expect(await send(r, [`{"uid":${uid},"cmd":"on"}`, `{"uid":${uid}.0,"cmd":"off"}`, `{"uid":${uid}e0,"cmd":"off"}`])).toEqual({ 32: 1, 33: 2 });
    expect(r.dut.hw.relayOn).toBe(true);
  });

  it("ignores another uid, a key member, no uid; counts each by reason; relay untouched", async () => {
    const r = await rig({});
    const uid = r.dut.fx.uid;
    const d = await send(r, [
      state("someone-else", "on"),
      state(uid + "x", "on"),
      state(uid.slice(0, -1), "on"),
      state(uid.toUpperCase(), "on"),
      JSON.stringify({ uid, key: r.dut.fx.key, cmd: "on" }),
      JSON.stringify({ uid, key: null, cmd: "on" }),
      JSON.stringify({ name: "Tank", cmd: "on" }),
      "{}",
    ]);
    expect(d).toEqual({ 33: 4, 34: 2, 38: 2 });
    expect(r.dut.hw.relayOn).toBe(false);
  });

  it("rejects wrong types and unknown commands (37), relay untouched", async () => {
    const r = await rig({});
    const uid = r.dut.fx.uid;
    const d = await send(r, [
      `{"uid":["${uid}"],"cmd":"on"}`,
      `{"uid":null,"cmd":"on"}`,
      `{"uid":"${uid}","cmd":"ON"}`,
      `{"uid":"${uid}","cmd":"toggle"}`,
      `{"uid":"${uid}","cmd":1}`,
      `{"uid":"${uid}","cmd":true}`,
      `{"uid":"${uid}","cmd":"on","level":{}}`,
      `{"uid":"${uid}","cmd":"on","temperature":[21]}`,
      `{"uid":"${uid}","cmd":"get"}`,
    ]);
    expect(d).toEqual({ 37: 9 });
    expect(r.dut.hw.relayOn).toBe(false);
  });

  it("rejects malformed JSON, truncated at every offset, and lone surrogates (35), without trapping", async () => {
    const r = await rig({});
    const good = state(r.dut.fx.uid, "on");
    const truncated = Array.from({ length: good.length }, (_, i) => good.slice(0, i)).filter((s) => s.length > 0);
    const bad = [
      ...truncated,
      `{"uid":[a"}`,
      `{"uid":"${r.dut.fx.uid}","cmd":"on"}}`,
      `{"uid":"${r.dut.fx.uid}","cmd":"on",}`,
      `{"uid":"${r.dut.fx.uid}","cmd":"o\\ud800n"}`,
      Buffer.from([0x7b, 0x22, 0x75, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
      `["uid","cmd"]`,
      "null",
    ];
    const d = await send(r, bad);
    expect(d).toEqual({ 35: bad.length });
    expect(r.dut.hw.relayOn).toBe(false);
    expect(r.traps()).toBe(0);
    expect(r.dut.device.connState).toBe(ConnState.CONNECTED);
    // Still works afterwards.
    expect(await send(r, [good])).toEqual({ 32: 1 });
    expect(r.dut.hw.relayOn).toBe(true);
  });

  it("rejects oversize payloads (36): over the downlink limit, and over the MQTT receive buffer", async () => {
    const r = await rig({});
    const uid = r.dut.fx.uid;
    const big = state(uid, "on", { name: "n".repeat(800) }); // valid JSON, > 768 bytes, fits the 1 KiB buffer
    const huge = state(uid, "on", { name: "n".repeat(5000) }); // skipped by the MQTT client
    expect(big.length).toBeGreaterThan(768);
    expect(await send(r, [big, huge])).toEqual({ 36: 2 });
    expect(r.dut.hw.relayOn).toBe(false);
    expect(r.dut.device.connState).toBe(ConnState.CONNECTED);
    expect(await send(r, [state(uid, "on")])).toEqual({ 32: 1 });
  });

  it("a refused platform command (high-level cut-off) keeps the relay off and reports the real state (kind 3)", async () => {
    const r = await rig({ pump_mode: "fill", high_cutoff_pct: 90 }, {
      hardware: { tank: { shape: "vertical_cylinder", diameterMm: 1000, heightMm: 1000, sensorHeightMm: 1100, initialLevelPct: 97, pumpFlowLpm: 0, consumptionLph: 0 } },
    });
    await waitFor(() => r.dut.device.levelPct !== null, 5000, "a reading");
    const n = r.uplinks().length;
    expect(await send(r, [state(r.dut.fx.uid, "on")])).toEqual({ 32: 1 });
    expect(r.dut.hw.relayOn).toBe(false);
    expect(r.dut.device.pumpLastRefusal).toBe(4); // HIGH_LEVEL
    await waitFor(() => r.uplinks().slice(n).some((m) => (m.json as Record<string, unknown>).cmd === "off"), 3000, "state report off");
    const rep = r.uplinks().slice(n).find((m) => (m.json as Record<string, unknown>).cmd === "off")!;
    expect(rep.payload).toMatch(new RegExp(`^\\{"uid":"${r.dut.fx.uid}","key":"${r.dut.fx.key}","cmd":"off"(,"level":"\\d+")?\\}$`));
  });
});

describe("downlink fuzz", () => {
  it("300 random and mutated payloads: each counted exactly once, no trap, still connected and responsive", async () => {
    const r = await rig({});
    const uid = r.dut.fx.uid;
    let seed = 12345;
    const rnd = (n: number) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n; };
    const base = Buffer.from(state(uid, "off"));
    const payloads: Buffer[] = [];
    for (let i = 0; i < 300; i++) {
      if (i % 3 === 0) {
        payloads.push(Buffer.from(Array.from({ length: rnd(40) + 1 }, () => rnd(256))));
      } else {
        const b = [...base];
        for (let k = 0; k <= rnd(4); k++) {
          const at = rnd(b.length);
          const op = rnd(3);
          if (op === 0) b.splice(at, 1);
          else if (op === 1) b.splice(at, 0, rnd(256));
          else b[at] = rnd(256);
        }
        payloads.push(Buffer.from(b));
      }
    }
    const d = await send(r, payloads);
    expect(Object.values(d).reduce((a, b) => a + b, 0)).toBe(300);
    expect(r.traps()).toBe(0);
    expect(r.dut.device.connState).toBe(ConnState.CONNECTED);
    expect(await send(r, [state(uid, "on")])).toEqual({ 32: 1 });
    expect(r.dut.hw.relayOn).toBe(true);
  });
});
