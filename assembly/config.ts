// Every tunable of the firmware, with its default and unit.
//
// The one definition of the members (name, index, range, default, unit,
// storage) is config/schema.json. The host encodes its JSON config to the
// binary config (docs/CONFIG.md) and writes it into the config buffer;
// `app/config_parse.ts` checks every record against the generated rows
// (`app/config_table.ts`), and only when every record is valid does the
// generated commit() store every member into the config table `cfg` below
// (the value given, else the schema's default, in the stored units each field
// names), before the cross-member rules are checked on it. commit() also runs
// at instantiation, so the table holds the defaults from the start. The table
// is one static block of linear memory, not ~95 wasm globals (a global costs
// 48 B of WAMR's RAM and 32 B of wasm3's; a field its own 1 or 4 bytes). The
// block between the markers is generated from the schema by
// scripts/config-gen.mjs (test/config/schema.test.ts fails when it is stale).
// Read and write it as `cfg.<field>`; a function that reads a field more than
// once keeps it in a local (a field read is 6 bytes of code, a local 2).
// Member names in JSON are the snake_case names in each field's doc.
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

/** The client id's own buffer (cfg.clientIdLen bytes): copied from client_id, or derived (iotbind/clientid.ts). */
export const clientIdBuf: usize = memory.data(CLIENT_ID_CAP);

// Fixed at build time (they size static buffers; defined in tunables.ts):
// receive buffer, transmit buffer, and the QoS 1 store of INFLIGHT_SLOTS x SLOT_CAP bytes.
export { RX_CAP, TX_CAP, INFLIGHT_SLOTS, SLOT_CAP } from "./tunables";

// ------------------------------------------------------------ word members
export const enum SensorKind { PULSE = 0, UART = 1, ANALOG = 2 }
// sensor: profile name, sets kind + the defaults of blind_mm, max_range_mm, ping_gap_ms, trigger_us
// (the profiles: config/schema.json, docs/CONFIG.md).
export const enum TempSource { NONE = 0, FIXED = 1, NTC = 2 }
export const enum TankShape { VERTICAL_CYLINDER = 0, HORIZONTAL_CYLINDER = 1, RECTANGULAR = 2 }
export const enum PumpMode { NONE = 0, FILL = 1, DRAIN = 2 }
export const enum PowerOn { OFF = 0, FOLLOW = 1, LAST = 2 }

// ------------------------------------------------------------------ table
// config-gen: table begin (generated from config/schema.json by scripts/config-gen.mjs; edit the schema, not this block)

/** The resolved config: one field per member (see each field), in linear memory (not wasm globals); defaults in the schema. */
// @ts-ignore: decorator
@unmanaged export class Config {
  /** broker_password (#8, 0..96 bytes; default none; the member was given (even empty)): MQTT password; needs `broker_user` */
  passSet: bool;
  /** mqtt_clean_session (#10; default true): MQTT clean-session flag */
  cleanSession: bool;
  /** will_retain (#21; default false): will retain flag */
  willRetain: bool;
  /** json_numbers (#22; default false; the inverse of json_numbers): send `"level":67` instead of the doc's `"level":"67"` */
  numbersAsStrings: bool;
  /** send_temperature (#29; default true): include `temperature` when known */
  sendTemperature: bool;
  /** relay_active_high (#66; default true): false for the common active-low relay boards */
  relayActiveHigh: bool;
  /** auto (#77; default false): automatic control (works offline) */
  autoMode: bool;
  /** button_active_low (#81; default true): pressed pulls the pin low (internal pull-up) */
  buttonActiveLow: bool;
  /** broker_tls (#83; default false): the host wraps the connection in TLS and verifies the broker's certificate chain and its name against `broker_host` (docs/ABI.md "TLS"). The CA is the host's setting, not the firmware's: see "TLS settings of the hosts" below */
  brokerTls: bool;
  /** uid (#0, 1..64 bytes; required; pointer into the config buffer (0: absent)): the device's UniqueID on iotBind */
  uidBuf: usize;
  /** uid (#0, 1..64 bytes; required; length in bytes (0: absent)): the device's UniqueID on iotBind */
  uidLen: i32;
  /** key (#1, 1..96 bytes; required; pointer into the config buffer (0: absent)): the device's API secret key */
  keyBuf: usize;
  /** key (#1, 1..96 bytes; required; length in bytes (0: absent)): the device's API secret key */
  keyLen: i32;
  /** client_id (#2, 1..23 bytes; default derived; bytes in clientIdBuf (the member copied, or derived)): MQTT client id, `[0-9a-zA-Z_-]`; default `iotbind-` + 9 of `[0-9a-z]` derived from the host's hardware id (or the uid) */
  clientIdLen: i32;
  /** uplink_topic (#3, 1..96 bytes; required; pointer into the config buffer (0: absent)): the `iotbind/tank/...` topic of the account's MQTT Service page; no `+`, `#` or U+0000 */
  uplinkBuf: usize;
  /** uplink_topic (#3, 1..96 bytes; required; length in bytes (0: absent)): the `iotbind/tank/...` topic of the account's MQTT Service page; no `+`, `#` or U+0000 */
  uplinkLen: i32;
  /** downlink_topic (#4, 1..96 bytes; required; pointer into the config buffer (0: absent)): the topic chosen in the device's Edit settings; subscribed; no wildcards */
  downlinkBuf: usize;
  /** downlink_topic (#4, 1..96 bytes; required; length in bytes (0: absent)): the topic chosen in the device's Edit settings; subscribed; no wildcards */
  downlinkLen: i32;
  /** broker_host (#5, 1..96 bytes; required; pointer into the config buffer (0: absent)): host name or address (resolved by the host) */
  hostBuf: usize;
  /** broker_host (#5, 1..96 bytes; required; length in bytes (0: absent)): host name or address (resolved by the host) */
  hostLen: i32;
  /** broker_port (#6, 1..65535; default 1883): TCP port (8883 for MQTT over TLS) */
  brokerPort: i32;
  /** broker_user (#7, 1..64 bytes; default none; pointer into the config buffer (0: absent)): MQTT user name */
  userBuf: usize;
  /** broker_user (#7, 1..64 bytes; default none; length in bytes (0: absent)): MQTT user name */
  userLen: i32;
  /** broker_password (#8, 0..96 bytes; default none; pointer into the config buffer (0: absent)): MQTT password; needs `broker_user` */
  passBuf: usize;
  /** broker_password (#8, 0..96 bytes; default none; length in bytes (0: absent)): MQTT password; needs `broker_user` */
  passLen: i32;
  /** mqtt_keepalive_s (#9, 0..3600 s; default 60): keep-alive in seconds (0 = off); mosquitto ≥ 2.0.12 refuses a value above its `max_keepalive`, and 0 unless `max_keepalive 0` (CONNACK 2, see [MQTT.md](MQTT.md#keep-alive-and-the-brokers-max_keepalive)) */
  keepAliveS: i32;
  /** mqtt_qos (#11, 0..1; default 1): QoS of uplink publishes */
  uplinkQos: i32;
  /** mqtt_inflight (#12, 1..8; default 4): QoS 1 messages awaiting PUBACK at once */
  inflightMax: i32;
  /** mqtt_backoff_base_ms (#13, 100..60000 ms; default 1000): first reconnect delay (full jitter) */
  backoffBaseMs: u32;
  /** mqtt_backoff_cap_ms (#14, 100..3600000 ms; default 60000): largest reconnect delay; at least the base */
  backoffCapMs: u32;
  /** mqtt_stable_ms (#15, 1000..3600000 ms; default 60000): a connection up this long resets the backoff */
  backoffResetMs: u32;
  /** mqtt_connect_timeout_ms (#16, 1000..120000 ms; default 10000): socket + CONNACK + SUBACK must complete within this */
  connectTimeoutMs: u32;
  /** mqtt_ping_timeout_ms (#17, 500..60000 ms; default 5000): wait for PINGRESP before the link counts as dead */
  pingTimeoutMs: u32;
  /** will_topic (#18, 1..96 bytes; default none; pointer into the config buffer (0: absent)): MQTT will topic */
  willTopicBuf: usize;
  /** will_topic (#18, 1..96 bytes; default none; length in bytes (0: absent)): MQTT will topic */
  willTopicLen: i32;
  /** will_payload (#19, 0..96 bytes; default none; pointer into the config buffer (0: absent)): MQTT will payload; needs `will_topic` */
  willPayloadBuf: usize;
  /** will_payload (#19, 0..96 bytes; default none; length in bytes (0: absent)): MQTT will payload; needs `will_topic` */
  willPayloadLen: i32;
  /** will_qos (#20, 0..1; default 0): will QoS */
  willQos: i32;
  /** level_decimals (#23, 0..3; default 0): decimals of `level` (%) */
  levelDecimals: i32;
  /** temperature_decimals (#24, 0..3; default 1): decimals of `temperature` (°C) */
  temperatureDecimals: i32;
  /** deadband_pct (#25, 0..100 %; default 1; stored in tenths): publish a reading when the level moved at least this much (% of span) */
  deadbandPermille: i32;
  /** heartbeat_s (#26, 10..86400 s; default 300; stored in ms): publish a reading at least this often */
  heartbeatMs: u32;
  /** min_interval_s (#27, 0..3600 s; default 5; stored in ms): never publish readings more often */
  minIntervalMs: u32;
  /** ping_interval_s (#28, 10..86400 s; default 120; stored in ms): send `ping` when nothing else was sent this long */
  pingIntervalMs: u32;
  /** sensor (#30, "hc-sr04" | "jsn-sr04t" | "aj-sr04m" | "a02yyuw" | "jsn-sr04t-uart" | "maxbotix"; default hc-sr04; the kind of the sensor profile): sensor profile: kind and the defaults of the next rows */
  sensorKind: SensorKind;
  /** trig_pin (#31, -1..63; default -1): pulse-echo trigger GPIO (required for pulse sensors) */
  trigPin: i32;
  /** echo_pin (#32, -1..63; default -1): pulse-echo echo GPIO (required for pulse sensors) */
  echoPin: i32;
  /** trigger_us (#33, 5..1000 us; default profile; default from the sensor profile): trigger pulse width, µs */
  triggerUs: i32;
  /** blind_mm (#34, 0..2000 mm; default profile; default from the sensor profile): echoes closer than this are `BLIND_ZONE` */
  blindMm: i32;
  /** max_range_mm (#35, 100..20000 mm; default profile; default from the sensor profile): the echo timeout derives from it */
  maxRangeMm: i32;
  /** ping_gap_ms (#36, 10..5000 ms; default profile; default from the sensor profile): minimum time between pings (echoes die out) */
  pingGapMs: u32;
  /** uart_port (#37, -1..7; default -1): UART of a serial sensor (required for UART sensors) */
  uartPort: i32;
  /** uart_baud (#38, 1200..921600 baud; default 9600): its baud rate */
  uartBaud: i32;
  /** adc_channel (#39, -1..31; default -1): ADC channel of an analog sensor (required for analog sensors) */
  adcChannel: i32;
  /** adc_bits (#40, 8..16; default 12): ADC resolution */
  adcBits: i32;
  /** adc_ref_mv (#41, 500..5000 mV; default 3300): ADC full-scale voltage, mV */
  adcRefMv: i32;
  /** analog_mm_per_v (#42, 1..100000 mm/V; default 1000): analog scale, mm of distance per volt */
  analogUmPerMv: i32;
  /** analog_samples (#43, 1..64; default 8): ADC samples averaged per ping */
  analogSamples: i32;
  /** pings_per_reading (#44, 1..15; default 5): pings per reading; the median of the good ones is taken */
  pingsPerReading: i32;
  /** reading_interval_ms (#45, 100..3600000 ms; default 2000): time between readings */
  readingIntervalMs: u32;
  /** spike_limit_mm (#46, 0..20000 mm; default 200): a larger jump must be confirmed (0 = off) */
  spikeLimitMm: i32;
  /** spike_confirm (#47, 1..10; default 3): consecutive readings that confirm a jump */
  spikeConfirm: i32;
  /** smoothing_pct (#48, 0..95 %; default 0): weight of the previous value in exponential smoothing (0 = off) */
  smoothingPct: i32;
  /** stale_ms (#49, 1000..3600000 ms; default 30000): no good reading this long: the level becomes unknown (`STALE`) */
  staleMs: u32;
  /** temperature (#50, "none" | "fixed" | "ntc"; default fixed): air temperature source for the speed of sound */
  tempSource: TempSource;
  /** temperature_c (#51, -40..85 degC; default 20; stored in tenths): the fixed temperature, °C (also the fallback when the NTC fails) */
  tempFixedDeciC: i32;
  /** ntc_channel (#52, -1..31; default -1): ADC channel of the NTC (required for `ntc`) */
  ntcChannel: i32;
  /** ntc_r0_ohm (#53, 100..1000000 ohm; default 10000): NTC resistance at `ntc_t0_c` */
  ntcR0: i32;
  /** ntc_t0_c (#54, -40..85 degC; default 25; stored in tenths): NTC reference temperature, °C */
  ntcT0DeciC: i32;
  /** ntc_beta (#55, 1000..10000 K; default 3950): NTC B constant, K */
  ntcBeta: i32;
  /** ntc_series_ohm (#56, 100..1000000 ohm; default 10000): series resistor (to Vref; NTC to ground) */
  ntcSeriesOhm: i32;
  /** ntc_bits (#57, 8..16; default 12): ADC resolution of the NTC channel */
  ntcBits: i32;
  /** empty_distance_mm (#58, 1..20000 mm; required): sensor to the surface of an empty tank; at most `max_range_mm` */
  emptyDistanceMm: i32;
  /** full_distance_mm (#59, 0..20000 mm; required): sensor to the surface of a full tank; less than empty, not inside `blind_mm` */
  fullDistanceMm: i32;
  /** distance_offset_mm (#60, -1000..1000 mm; default 0): added to every measured distance (calibration) */
  distanceOffsetMm: i32;
  /** tank_shape (#61, "vertical_cylinder" | "horizontal_cylinder" | "rectangular"; default vertical_cylinder): for the volume */
  tankShape: TankShape;
  /** tank_diameter_mm (#62, 10..20000 mm; default 1000): cylinders */
  tankDiameterMm: i32;
  /** tank_length_mm (#63, 10..50000 mm; default 1000): horizontal cylinder, rectangular */
  tankLengthMm: i32;
  /** tank_width_mm (#64, 10..50000 mm; default 1000): rectangular */
  tankWidthMm: i32;
  /** relay_pin (#65, -1..63; default -1): relay GPIO; required unless `pump_mode` is `none` */
  relayPin: i32;
  /** pump_mode (#67, "none" | "fill" | "drain"; default fill): the pump fills this tank, or draws from it */
  pumpMode: PumpMode;
  /** power_on (#68, "off" | "follow" | "last"; default off): relay at boot: off; follow the platform's state; the last state (host key-value storage). Always through the rules */
  powerOn: PowerOn;
  /** min_on_s (#69, 0..3600 s; default 10; stored in ms): minimum on time */
  minOnMs: u32;
  /** min_off_s (#70, 0..3600 s; default 10; stored in ms): minimum off time (also counted from boot) */
  minOffMs: u32;
  /** max_run_s (#71, 10..86400 s; default 3600; stored in ms): maximum continuous run, then a lock-out */
  maxRunMs: u32;
  /** lockout_s (#72, 0..86400 s; default 600; stored in ms): lock-out after the maximum run */
  lockoutMs: u32;
  /** high_cutoff_pct (#73, 1..100 %; default 95; stored in tenths): fill mode: pump off at or above */
  highCutoffPermille: i32;
  /** low_cutoff_pct (#74, 0..99 %; default 10; stored in tenths): drain mode: pump off at or below */
  lowCutoffPermille: i32;
  /** cutoff_hysteresis_pct (#75, 0..50 %; default 5; stored in tenths): allowed again only this far back inside */
  hysteresisPermille: i32;
  /** unknown_level_off_s (#76, 1..3600 s; default 30; stored in ms): pump off when the level has been unknown this long */
  unknownOffMs: u32;
  /** auto_start_pct (#78, 0..100 %; default 20; stored in tenths): fill: start at or below; drain: start at or above */
  autoStartPermille: i32;
  /** auto_stop_pct (#79, 0..100 %; default 90; stored in tenths): fill: stop at or above; drain: stop at or below */
  autoStopPermille: i32;
  /** button_pin (#80, -1..63; default -1): local push button GPIO (toggles through the same rules) */
  buttonPin: i32;
  /** button_debounce_ms (#82, 10..1000 ms; default 50): debounce time */
  buttonDebounceMs: u32;
  /** mqtt_puback_timeout_ms (#84, 1000..3600000 ms; default 2 × `mqtt_keepalive_s` (120000 when keep-alive is 0)): a QoS 1 uplink unacknowledged this long closes the connection (with DISCONNECT) and a new one resends it ([MQTT.md](MQTT.md#never-stuck)) */
  pubackTimeoutMs: u32;
}

/** The config table (356 bytes): app/config_table.ts commit() stores every member, the defaults at instantiation, then the value given or the default. */
export const cfg = changetype<Config>(memory.data(356, 4));

// config-gen: table end
