/**
 * The public API of the iotbind-tank package (`import ... from "iotbind-tank"`).
 * Everything a Node program needs to run the firmware: one `Device` over any
 * `Hardware`, the simulated hardware and clocks, whole `Simulation`s, and the
 * bundled firmware.wasm. Paths under dist/ are not part of the API.
 *
 * This entry needs only the package's dependencies (mqtt, mqtt-packet). The
 * embedded broker of a `Simulation` (when no `broker.url` is given) loads the
 * optional peer dependency aedes on demand; the CLI's terminal and web
 * dependencies are never loaded from here.
 */

// The device and its firmware
export { Device, InitError, loadFirmware, DEFAULT_FIRMWARE_PATH } from "./host/device.js";
export type { DeviceOptions, DeviceEvents, PublishSeen, OtaEvent } from "./host/device.js";
// Over-the-air updates (docs/OTA.md): Device's `ota` option, signing and pushing.
export type { OtaOptions, SlotState, SlotName, RollbackReason } from "./host/ota.js";
export { pushImage, signModule, generateKeys, formatSummary } from "./ota-push.js";
export type { PushOptions, PushResult, PushProgress, PushOutcome } from "./ota-push.js";
export { firmwarePath, firmwareBytes } from "./firmware.js";
export type { KvStore, LogLevel } from "./host/hal.js";
export {
  ABI_VERSION, ConnState, CONN_STATE_NAMES, INIT_STATUS_NAMES, DISCONNECT_NAMES, QUALITY_NAMES, REFUSAL_NAMES, Counter,
  OTA_STATUS_NAMES, OtaStatus, versionString,
} from "./host/abi.js";
export type { FirmwareExports } from "./host/abi.js";

// The config (docs/CONFIG.md)
export type { DeviceConfig } from "./device-config.js";
export { CONFIG_MEMBERS } from "./device-config.js";
import type { DeviceConfig } from "./device-config.js";
/** `sensor`: the sensor profile. */
export type SensorProfileName = NonNullable<DeviceConfig["sensor"]>;
/** `temperature`: where the speed-of-sound temperature comes from. */
export type TemperatureSource = NonNullable<DeviceConfig["temperature"]>;
/** `tank_shape`. */
export type TankShape = NonNullable<DeviceConfig["tank_shape"]>;
/** `pump_mode`. */
export type PumpMode = NonNullable<DeviceConfig["pump_mode"]>;
/** `power_on`: the relay at boot. */
export type PowerOn = NonNullable<DeviceConfig["power_on"]>;

// Hardware and time
export type { Hardware, Clock, Random } from "./hal/types.js";
export { SimHardware, EXAMPLE_BOARDS } from "./world/hardware.js";
export type { SimHardwareOptions, BoardConfig, HardwareEvents, GroundTruth } from "./world/hardware.js";
export { Tank, capacityOf } from "./world/tank.js";
export type { TankOptions, TankGeometry } from "./world/tank.js";
export type { AirOptions } from "./world/air.js";
export type { ThermistorOptions } from "./world/thermistor.js";
export { SENSOR_PROFILES } from "./world/ultrasonic.js";
export type { PulseEchoOptions, UartSensorOptions, AnalogSensorOptions, DistanceSensor } from "./world/ultrasonic.js";
export { RealClock, VirtualClock, ScaledClock, Pacer, firmwareMillis } from "./clock.js";
export type { AdvanceableClock } from "./clock.js";
export { SeededRandom } from "./random.js";

// Simulations
export { Simulation, DEFAULT_TANK, defaultDeviceConfig } from "./simulation.js";
export type {
  SimulationOptions, SimDeviceSpec, SimDevice, BrokerOption, SimulationEvents, DeviceSnapshot,
  MessageInfo, PublishEvent, RelayEvent, ConnEvent, PlatformEvent,
} from "./simulation.js";
export { MissingPeerError } from "./broker.js";
