// The exports of ABI v2 (docs/ABI.md). Only integers cross this boundary.
import "./app/panic"; // abort handler (asconfig.json routes abort here)
import { deviceInit, deviceTick, deviceShutdown, configBuf, CONFIG_CAP } from "./app/main";
import { errorPtr, errorLen } from "./app/config_parse";
import { counterValue } from "./app/counters";
import { levelPermille, distanceMm, temperatureDeciC, volumeMl, readingQuality } from "./sensor/sensor";
import { relayIsOn, pumpLastRefusal } from "./pump/pump";
import { mqttState, mqttLastDisconnect } from "./mqtt/client";
import { FIRMWARE_VERSION } from "./ota/version";

const ABI_VERSION: i32 = 2;

export function abi_version(): i32 { return ABI_VERSION; }
export function config_ptr(): usize { return configBuf; }
export function config_cap(): i32 { return CONFIG_CAP; }
export function init(len: i32): i32 { return deviceInit(len); }
export function error_ptr(): usize { return errorPtr(); }
export function error_len(): i32 { return errorLen(); }
export function tick(nowMs: u32): u32 { return deviceTick(nowMs); }
export function shutdown(nowMs: u32): void { deviceShutdown(nowMs); }
export function level_permille(): i32 { return levelPermille(); }
export function distance_mm(): i32 { return distanceMm(); }
export function temperature_decic(): i32 { return temperatureDeciC(); }
export function volume_ml(): i32 { return volumeMl(); }
export function reading_quality(): i32 { return readingQuality(); }
export function relay_state(): i32 { return relayIsOn() ? 1 : 0; }
export function conn_state(): i32 { return <i32>mqttState(); }
export function pump_last_refusal(): i32 { return pumpLastRefusal(); }
export function counter(id: i32): u32 { return counterValue(id); }
export function last_disconnect(): i32 { return mqttLastDisconnect(); }
/** major << 16 | minor << 8 | patch, from package.json "version" at build time (docs/ABI.md "OTA (v2)"). */
export function fw_version(): u32 { return FIRMWARE_VERSION; }

// The end of static data (every literal and buffer the firmware has; it writes
// nothing above). Both are the same address: there is no stack or heap in linear
// memory. Exported so that WAMR sizes the instance's memory to what the module
// uses instead of the whole 64 KiB page (docs/ABI.md, Memory map), and so that
// tests can check no byte above it is ever written.
export { __heap_base, __data_end };
