// Every tunable of the firmware, with its default and unit.
//
// The one definition of the members (name, index, range, default, unit,
// storage) is config/schema.json. The host encodes its JSON config to the
// binary config (docs/CONFIG.md) and writes it into the config buffer;
// `app/config_parse.ts` checks every record against the generated rows
// (`app/config_table.ts`) and the cross-member rules, and only then does the
// generated commit() store every member here: the value given or the
// schema's default. The initial values below are those defaults (the
// generator refuses to build when one differs). Member names in JSON are
// the snake_case names given in each comment.
//
// Strings: a pointer and a length. They point into the config buffer (which
// nothing writes after init), except the client id, which has its own
// buffer because the firmware may derive it.

// ---------------------------------------------------------------- strings
// Capacities in bytes (UTF-8): the schema's maximum lengths (config/schema.json).
export const UID_CAP: i32 = 64;        // uid            required
export const KEY_CAP: i32 = 96;        // key            required
export const HOST_CAP: i32 = 96;       // broker_host    required
export const USER_CAP: i32 = 64;       // broker_user    optional
export const PASS_CAP: i32 = 96;       // broker_password optional, needs broker_user
export const CLIENT_ID_CAP: i32 = 23;  // client_id      optional, 1..23 of [0-9a-zA-Z_-]; default "iotbind-" + 9 of [0-9a-z] from hw_id or uid
export const TOPIC_CAP: i32 = 96;      // uplink_topic, downlink_topic  required; no '+', '#', U+0000
export const WILL_CAP: i32 = 96;       // will_topic, will_payload  optional

export let uidBuf: usize = 0;
export let uidLen: i32 = 0;
export let keyBuf: usize = 0;
export let keyLen: i32 = 0;
export let hostBuf: usize = 0;
export let hostLen: i32 = 0;
export let userBuf: usize = 0;
export let userLen: i32 = 0;          // 0 = no user name
export let passBuf: usize = 0;
export let passLen: i32 = 0;          // 0 = no password
export let passSet: bool = false;     // a password member was given (even empty)
export const clientIdBuf: usize = memory.data(CLIENT_ID_CAP);
export let clientIdLen: i32 = 0;
export let uplinkBuf: usize = 0;
export let uplinkLen: i32 = 0;
export let downlinkBuf: usize = 0;
export let downlinkLen: i32 = 0;
export let willTopicBuf: usize = 0;
export let willTopicLen: i32 = 0;     // 0 = no will
export let willPayloadBuf: usize = 0;
export let willPayloadLen: i32 = 0;

// ------------------------------------------------------------------ mqtt
export let brokerPort: i32 = 1883;        // broker_port, 1..65535
export let brokerTls: bool = false;       // broker_tls: the host wraps the connection in TLS (sock_connect SOCK_TLS flag)
export let keepAliveS: i32 = 60;          // mqtt_keepalive_s, 0..3600 s (0 = off)
export let cleanSession: bool = true;     // mqtt_clean_session
export let uplinkQos: i32 = 1;            // mqtt_qos, 0..1 for uplink publishes
export let inflightMax: i32 = 4;          // mqtt_inflight, 1..8 QoS 1 messages awaiting PUBACK
export let backoffBaseMs: u32 = 1000;     // mqtt_backoff_base_ms, 100..60000 ms
export let backoffCapMs: u32 = 60000;     // mqtt_backoff_cap_ms, >= base, <= 3600000 ms
export let backoffResetMs: u32 = 60000;   // mqtt_stable_ms: a connection up this long resets the backoff, ms
export let connectTimeoutMs: u32 = 10000; // mqtt_connect_timeout_ms: socket + CONNACK + SUBACK, 1000..120000 ms
export let pingTimeoutMs: u32 = 5000;     // mqtt_ping_timeout_ms: PINGRESP wait, 500..60000 ms
export let pubackTimeoutMs: u32 = 0;      // mqtt_puback_timeout_ms: PUBACK wait, 1000..3600000 ms; 0 (absent) = 2 x keep-alive, 120 s when keep-alive is 0
export let willQos: i32 = 0;              // will_qos, 0..1
export let willRetain: bool = false;      // will_retain

// Fixed at build time (they size static buffers; defined in tunables.ts):
// receive buffer, transmit buffer, and the QoS 1 store of INFLIGHT_SLOTS x SLOT_CAP bytes.
export { RX_CAP, TX_CAP, INFLIGHT_SLOTS, SLOT_CAP } from "./tunables";

// --------------------------------------------------------------- reporting
export let numbersAsStrings: bool = true; // !json_numbers: "level":"67" (doc style) vs "level":67
export let levelDecimals: i32 = 0;        // level_decimals, 0..3
export let temperatureDecimals: i32 = 1;  // temperature_decimals, 0..3
export let deadbandPermille: i32 = 10;    // deadband_pct, 0..100 % (stored in 0.1 %): publish when the level moved this much
export let heartbeatMs: u32 = 300000;     // heartbeat_s, 10..86400 s: publish a reading at least this often
export let minIntervalMs: u32 = 5000;     // min_interval_s, 0..3600 s: never publish readings more often
export let pingIntervalMs: u32 = 120000;  // ping_interval_s, 10..86400 s: ping when nothing else was sent this long
export let sendTemperature: bool = true;  // send_temperature: include "temperature" when known

// ------------------------------------------------------------------ sensor
export const enum SensorKind { PULSE = 0, UART = 1, ANALOG = 2 }
// sensor: profile name, sets kind + the defaults below:
//   "hc-sr04"        pulse, blind 20 mm,  range 4000 mm, gap 60 ms, trigger 10 us
//   "jsn-sr04t"      pulse, blind 250 mm, range 4500 mm, gap 100 ms, trigger 20 us
//   "aj-sr04m"       pulse, blind 200 mm, range 4500 mm, gap 100 ms, trigger 20 us
//   "a02yyuw"        uart 9600, blind 30 mm, range 4500 mm, gap 100 ms
//   "jsn-sr04t-uart" uart 9600, blind 250 mm, range 6000 mm, gap 100 ms
//   "maxbotix"       analog, blind 300 mm, range 5000 mm, gap 50 ms
export let sensorKind: SensorKind = SensorKind.PULSE;
export let trigPin: i32 = -1;             // trig_pin, 0..63 (pulse)
export let echoPin: i32 = -1;             // echo_pin, 0..63 (pulse)
export let triggerUs: i32 = 10;           // trigger_us, 5..1000 us
export let blindMm: i32 = 20;             // blind_mm, 0..2000 mm: closer echoes are BLIND_ZONE
export let maxRangeMm: i32 = 4000;        // max_range_mm, 100..20000 mm: echo timeout derives from it
export let pingGapMs: u32 = 60;           // ping_gap_ms, 10..5000 ms between pings
export let uartPort: i32 = -1;            // uart_port, 0..7 (uart)
export let uartBaud: i32 = 9600;          // uart_baud, 1200..921600
export let adcChannel: i32 = -1;          // adc_channel, 0..31 (analog)
export let adcBits: i32 = 12;             // adc_bits, 8..16
export let adcRefMv: i32 = 3300;          // adc_ref_mv, 500..5000 mV (full-scale voltage)
export let analogUmPerMv: i32 = 1000;     // analog_mm_per_v, 1..100000 mm/V (stored um/mV: 1 mm/V = 1 um/mV)
export let analogSamples: i32 = 8;        // analog_samples, 1..64 averaged per ping
export let pingsPerReading: i32 = 5;      // pings_per_reading, 1..15, median of the good ones
export let readingIntervalMs: u32 = 2000; // reading_interval_ms, 100..3600000 ms between readings
export let spikeLimitMm: i32 = 200;       // spike_limit_mm, 0..20000 mm (0 = off): larger jumps need confirming
export let spikeConfirm: i32 = 3;         // spike_confirm, 1..10 consecutive readings that confirm a jump
export let smoothingPct: i32 = 0;         // smoothing_pct, 0..95 %: weight of the previous value (0 = off)
export let staleMs: u32 = 30000;          // stale_ms, 1000..3600000 ms: no good reading this long = STALE

export const enum TempSource { NONE = 0, FIXED = 1, NTC = 2 }
export let tempSource: TempSource = TempSource.FIXED; // temperature: "none" | "fixed" | "ntc"
export let tempFixedDeciC: i32 = 200;     // temperature_c, -40..85 °C (stored 0.1 °C), used by "fixed" and as fallback
export let ntcChannel: i32 = -1;          // ntc_channel, 0..31
export let ntcR0: i32 = 10000;            // ntc_r0_ohm, 100..1000000 ohm at ntc_t0_c
export let ntcT0DeciC: i32 = 250;         // ntc_t0_c, -40..85 °C (stored 0.1 °C)
export let ntcBeta: i32 = 3950;           // ntc_beta, 1000..10000 K
export let ntcSeriesOhm: i32 = 10000;     // ntc_series_ohm, 100..1000000 ohm (NTC to ground, series resistor to Vref)
export let ntcBits: i32 = 12;             // ntc_bits, 8..16

// -------------------------------------------------------------------- tank
export const enum TankShape { VERTICAL_CYLINDER = 0, HORIZONTAL_CYLINDER = 1, RECTANGULAR = 2 }
export let emptyDistanceMm: i32 = -1;     // empty_distance_mm, required: sensor to surface of an empty tank
export let fullDistanceMm: i32 = -1;      // full_distance_mm, required: sensor to surface of a full tank; < empty, >= blind_mm
export let distanceOffsetMm: i32 = 0;     // distance_offset_mm, -1000..1000 mm added to every measured distance
export let tankShape: TankShape = TankShape.VERTICAL_CYLINDER; // tank_shape: "vertical_cylinder" | "horizontal_cylinder" | "rectangular"
export let tankDiameterMm: i32 = 1000;    // tank_diameter_mm, 10..20000 mm (cylinders)
export let tankLengthMm: i32 = 1000;      // tank_length_mm, 10..50000 mm (horizontal cylinder, rectangular)
export let tankWidthMm: i32 = 1000;       // tank_width_mm, 10..50000 mm (rectangular)

// -------------------------------------------------------------------- pump
export const enum PumpMode { NONE = 0, FILL = 1, DRAIN = 2 }
export const enum PowerOn { OFF = 0, FOLLOW = 1, LAST = 2 }
export let relayPin: i32 = -1;            // relay_pin, 0..63, or absent (no pump)
export let relayActiveHigh: bool = true;  // relay_active_high
export let pumpMode: PumpMode = PumpMode.FILL; // pump_mode: "none" | "fill" | "drain"
export let powerOn: PowerOn = PowerOn.OFF; // power_on: "off" | "follow" | "last"
export let minOnMs: u32 = 10000;          // min_on_s, 0..3600 s
export let minOffMs: u32 = 10000;         // min_off_s, 0..3600 s (also counted from boot)
export let maxRunMs: u32 = 3600000;       // max_run_s, 10..86400 s, then lock-out
export let lockoutMs: u32 = 600000;       // lockout_s, 0..86400 s
export let highCutoffPermille: i32 = 950; // high_cutoff_pct, 1..100 %: fill mode stops at/above
export let lowCutoffPermille: i32 = 100;  // low_cutoff_pct, 0..99 %: drain mode stops at/below
export let hysteresisPermille: i32 = 50;  // cutoff_hysteresis_pct, 0..50 %: re-allowed only this far inside
export let unknownOffMs: u32 = 30000;     // unknown_level_off_s, 1..3600 s: pump off when level unknown this long
export let autoMode: bool = false;        // auto
export let autoStartPermille: i32 = 200;  // auto_start_pct (fill: start at/below; drain: start at/above)
export let autoStopPermille: i32 = 900;   // auto_stop_pct  (fill: stop at/above;  drain: stop at/below)
export let buttonPin: i32 = -1;           // button_pin, 0..63, or absent
export let buttonActiveLow: bool = true;  // button_active_low (pull-up, press pulls to ground)
export let buttonDebounceMs: u32 = 50;    // button_debounce_ms, 10..1000 ms
