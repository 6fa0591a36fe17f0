/**
 * init's hardware-setup failures (status HAL_FAILED, -5): whichever GPIO
 * setup call of a valid config fails, init refuses with the error text of
 * the module that made it, "hal: relay or button GPIO setup failed" (pump,
 * set up first: the sensor's pins are then never touched) or "hal: sensor
 * GPIO/UART/ADC setup failed", and forces the relay off.
 */
import { describe, expect, it } from "vitest";
import { bootBare } from "../helpers/bare-firmware.js";

const PINS = { trig_pin: 5, echo_pin: 18, relay_pin: 26, button_pin: 27 };
const CONFIG = {
  uid: "u1", key: "k1", broker_host: "127.0.0.1", uplink_topic: "iotbind/tank/u1", downlink_topic: "dev/u1",
  empty_distance_mm: 1100, full_distance_mm: 100, ...PINS,
};
const PUMP_PINS = new Set([PINS.relay_pin, PINS.button_pin]);
const SENSOR_PINS = new Set([PINS.trig_pin, PINS.echo_pin]);
const HAL_FAILED = -5;

describe("init: a failing hardware setup call", () => {
  const ok = bootBare(CONFIG);
  // every GPIO setup call a successful init makes (reads of a pin's level are not setup)
  const setup = ok.calls.map((c, k) => ({ ...c, k })).filter((c) => c.name === "gpio_mode" || c.name === "gpio_write");

  it("a valid config sets up the pump's and the sensor's pins (the cases below are real)", () => {
    expect(ok.status).toBe(0);
    expect(setup.some((c) => PUMP_PINS.has(c.args[0]!))).toBe(true);
    expect(setup.some((c) => SENSOR_PINS.has(c.args[0]!))).toBe(true);
  });

  it("refuses init with the failing module's text; a pump failure leaves the sensor's pins untouched", () => {
    let sensorFailures = 0;
    for (const c of setup) {
      const b = bootBare(CONFIG, 1000, false, (k) => k === c.k);
      const pump = PUMP_PINS.has(c.args[0]!);
      if (pump) {
        expect(b.status, `${c.name}(${c.args.join(",")}) failing`).toBe(HAL_FAILED);
        expect(b.raw).toBe("hal: relay or button GPIO setup failed");
        expect(b.calls.filter((x) => x.name.startsWith("gpio") && SENSOR_PINS.has(x.args[0]!))).toEqual([]);
      } else if (b.status !== 0) {
        expect(b.status, `${c.name}(${c.args.join(",")}) failing`).toBe(HAL_FAILED);
        expect(b.raw).toBe("hal: sensor GPIO/UART/ADC setup failed");
        sensorFailures++;
      }
      if (b.status === HAL_FAILED) {
        // the relay is left at its off level (active high by default: 0) by the last relay write
        const relayWrites = b.calls.filter((x) => x.name === "gpio_write" && x.args[0] === PINS.relay_pin);
        if (relayWrites.length) expect(relayWrites.at(-1)!.args[1]).toBe(0);
        expect(b.exports.tick(2000)).toBe(b.exports.tick(3000)); // a failed instance does nothing
      }
    }
    expect(sensorFailures).toBeGreaterThan(0);
  });
});
