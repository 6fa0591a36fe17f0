/**
 * The simulated world: tank, air, sensors, thermistor and the hal-facing
 * hardware. Seeded, so a run repeats exactly.
 *
 *   const clock = new VirtualClock(0xFFFF_0000);          // start near the u32 wrap if you like
 *   const hw = new SimHardware({
 *     board: EXAMPLE_BOARDS["hc-sr04"],                  // or the firmware config itself
 *     clock,
 *     tank: { shape: "vertical_cylinder", diameterMm: 1000, heightMm: 1500, sensorHeightMm: 1600,
 *             initialLevelPct: 40, pumpFlowLpm: 30, consumptionLph: DEFAULT_CONSUMPTION_LPH },
 *     air: { kind: "daily", minC: 5, maxC: 35 },
 *     seed: "tank-1",
 *     sensorOptions: { jitterUs: 10, missingProbability: 0.01, spuriousProbability: 0.01 },
 *   });
 *   const config = { ...hw.firmwareConfig(), uid, key, broker_host, ... };  // pins + tank geometry
 *   hw.on("relay", (on, atMs) => ...);
 *   hw.pressButton(200);
 *   hw.truth();                                          // true level %, distance, volume, air °C
 *   (hw.sensor as PulseEchoSensor).fault = "no_echo";    // faults switch on and off at run time
 *
 * Conventions shared with the firmware: ADC counts = round(V / Vref · (2^bits − 1));
 * NTC from the ADC node to ground, series resistor to Vref; level % = share of
 * the empty → full distance span (water height / full height); echo µs = 2·d / c(T),
 * c = 331.3 + 0.606·T m/s.
 */
export * from "./tank.js";
export * from "./air.js";
export * from "./thermistor.js";
export * from "./ultrasonic.js";
export * from "./hardware.js";
export { SeededRandom, gaussian, seedFrom } from "../random.js";
export { VirtualClock, RealClock, ScaledClock, Pacer, firmwareMillis, realMsFor, isAdvanceable, type AdvanceableClock } from "../clock.js";
