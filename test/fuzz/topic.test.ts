/**
 * A command on any topic but the downlink topic is not a command: a broker
 * may deliver other topics (a persistent session's old subscription, an
 * overlapping ACL), and a valid "on" there must not move the relay. The
 * stream fuzzer found this; here it is as a plain case.
 */
import { describe, expect, it } from "vitest";
import { Session, FUZZ_UID, DOWNLINK } from "../../sim/tools/fuzz/fuzzers.js";
import { loadFirmwareSync } from "../../sim/tools/fuzz/rig.js";
import { publish } from "../../sim/tools/fuzz/mqtt-bytes.js";
import { Counter } from "../../sim/host/abi.js";

const on = JSON.stringify({ uid: FUZZ_UID, name: "Tank", type: "Water Level", cmd: "on", level: "42" });

describe("inbound topic", () => {
  it("ignores a valid \"on\" on another topic and counts it; the same bytes on the downlink topic switch the relay", () => {
    const s = new Session(loadFirmwareSync(), 7);
    const r = s.rig;
    const before = r.x.counter(Counter.OTHER_TOPIC);
    const other = publish(`${DOWNLINK}/x`, on);
    s.deliver(other, [other.length], Infinity);
    r.advance(100);
    expect(r.relay).toBe(false);
    expect(r.x.counter(Counter.OTHER_TOPIC)).toBe(before + 1);
    expect(r.state).toBe(4);
    const mine = publish(DOWNLINK, on);
    s.deliver(mine, [mine.length], Infinity);
    r.advance(100);
    expect(r.relay).toBe(true);
    expect(r.x.counter(Counter.OTHER_TOPIC)).toBe(before + 1);
  });
});
