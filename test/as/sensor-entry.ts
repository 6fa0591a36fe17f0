// Test-only entry: the sensing and pump modules with config setters.
// Compiled by test/sensor/*.test.ts and test/pump/*.test.ts with the MVP flags.
import { cfg, PowerOn, PumpMode, SensorKind, TankShape, TempSource } from "../../assembly/config";
export {
  sensorInit, sensorTick, levelPermille, distanceMm, temperatureDeciC, compensationDeciC,
  volumeMl, readingQuality, lastReadingQuality, readingSeq, sensorEchoTimeoutUs, ntcCountsToDeciC,
  lnPos, acosApprox,
} from "../../assembly/sensor/sensor";
export {
  pumpInit, pumpTick, pumpRequest, relayIsOn, pumpLastRefusal, pumpRefusalSeq, pumpChangeSeq,
  pumpLastChangeSource, pumpForceOff, pumpTestSetLevel, pumpAutoInControl,
} from "../../assembly/pump/pump";
import { counterValue } from "../../assembly/app/counters";
import "../../assembly/app/panic"; // abort is routed to its halAbort (--use abort=...)
import "../../assembly/app/config_table"; // its start code stores the config defaults into the table

export function counter(id: i32): u32 { return counterValue(id); }

/** Sets config variable `id` (see CFG in test/sensor/harness.ts) to `v`. */
export function setCfg(id: i32, v: i32): void {
  switch (id) {
    case 0: cfg.sensorKind = <SensorKind>v; break;
    case 1: cfg.trigPin = v; break;
    case 2: cfg.echoPin = v; break;
    case 3: cfg.triggerUs = v; break;
    case 4: cfg.blindMm = v; break;
    case 5: cfg.maxRangeMm = v; break;
    case 6: cfg.pingGapMs = <u32>v; break;
    case 7: cfg.uartPort = v; break;
    case 8: cfg.uartBaud = v; break;
    case 9: cfg.adcChannel = v; break;
    case 10: cfg.adcBits = v; break;
    case 11: cfg.adcRefMv = v; break;
    case 12: cfg.analogUmPerMv = v; break;
    case 13: cfg.analogSamples = v; break;
    case 14: cfg.pingsPerReading = v; break;
    case 15: cfg.readingIntervalMs = <u32>v; break;
    case 16: cfg.spikeLimitMm = v; break;
    case 17: cfg.spikeConfirm = v; break;
    case 18: cfg.smoothingPct = v; break;
    case 19: cfg.staleMs = <u32>v; break;
    case 20: cfg.tempSource = <TempSource>v; break;
    case 21: cfg.tempFixedDeciC = v; break;
    case 22: cfg.ntcChannel = v; break;
    case 23: cfg.ntcR0 = v; break;
    case 24: cfg.ntcT0DeciC = v; break;
    case 25: cfg.ntcBeta = v; break;
    case 26: cfg.ntcSeriesOhm = v; break;
    case 27: cfg.ntcBits = v; break;
    case 28: cfg.emptyDistanceMm = v; break;
    case 29: cfg.fullDistanceMm = v; break;
    case 30: cfg.distanceOffsetMm = v; break;
    case 31: cfg.tankShape = <TankShape>v; break;
    case 32: cfg.tankDiameterMm = v; break;
    case 33: cfg.tankLengthMm = v; break;
    case 34: cfg.tankWidthMm = v; break;
    case 40: cfg.relayPin = v; break;
    case 41: cfg.relayActiveHigh = v != 0; break;
    case 42: cfg.pumpMode = <PumpMode>v; break;
    case 43: cfg.powerOn = <PowerOn>v; break;
    case 44: cfg.minOnMs = <u32>v; break;
    case 45: cfg.minOffMs = <u32>v; break;
    case 46: cfg.maxRunMs = <u32>v; break;
    case 47: cfg.lockoutMs = <u32>v; break;
    case 48: cfg.highCutoffPermille = v; break;
    case 49: cfg.lowCutoffPermille = v; break;
    case 50: cfg.hysteresisPermille = v; break;
    case 51: cfg.unknownOffMs = <u32>v; break;
    case 52: cfg.autoMode = v != 0; break;
    case 53: cfg.autoStartPermille = v; break;
    case 54: cfg.autoStopPermille = v; break;
    case 55: cfg.buttonPin = v; break;
    case 56: cfg.buttonActiveLow = v != 0; break;
    case 57: cfg.buttonDebounceMs = <u32>v; break;
    default: break;
  }
}
