// Relay-state agreement between the device and the platform (no oscillation).
//
// The platform echoes the switch state it holds after every update it
// processes, so a state message can be older than a change the device made on
// its own (button, auto mode, safety cut-off, a refused platform command). Rule:
//
// - A *device state* arises when the relay changes with a source other than
//   PLATFORM (pumpChangeSeq()/pumpLastChangeSource()) and when a platform
//   command is refused (the relay keeps its state). It must be reported to the platform (uplink kind 3, or kind 2
//   together with a reading) and opens a *guard*.
// - While the guard is open, a downlink `cmd` that contradicts the relay's
//   current state is a stale echo: ignored, counted (counter 39), logged.
//   A downlink `cmd` equal to the relay's state acknowledges the report and
//   closes the guard.
// - The guard also closes GUARD_MS after the report was published without an
//   acknowledgement (a platform that does not publish, a lost message), so the
//   platform is never locked out for longer than that. Until the report has
//   been published (e.g. while offline) the guard stays open, and after every
//   reconnect an open guard is reported again instead of sending `get`.
import { pumpChangeSeq, pumpLastChangeSource, PumpSource } from "../pump/pump";
import { elapsed } from "../util/time";

/** How long an unacknowledged device report keeps contradicting platform states out, ms. */
export const GUARD_MS: u32 = 10000;

let seenSeq: u32 = 0;
let guardOpen: bool = false;
let guardReported: bool = false;
let guardSince: u32 = 0;
let reportDue: bool = false;

/** Snapshot at reportInit: changes before it (boot) are handled by reportInit itself. */
export function syncInit(): void {
  seenSeq = pumpChangeSeq();
  guardOpen = false;
  guardReported = false;
  reportDue = false;
}

/** The device holds a state the platform may not know: report it and guard it. */
export function syncDeviceState(): void {
  guardOpen = true;
  guardReported = false;
  reportDue = true;
}

/** Picks up relay changes made on the device since the last call. */
export function syncLocalChanges(): void {
  const s = pumpChangeSeq();
  if (s == seenSeq) return;
  seenSeq = s;
  if (pumpLastChangeSource() != PumpSource.PLATFORM) syncDeviceState();
}

/** Records the relay change just made for the platform, so it is not mistaken for a local one. */
export function syncPlatformApplied(): void {
  seenSeq = pumpChangeSeq();
}

/** True while contradicting platform states are to be treated as stale echoes. */
export function syncGuarded(nowMs: u32): bool {
  if (guardOpen && guardReported && elapsed(nowMs, guardSince) >= GUARD_MS) guardOpen = false;
  return guardOpen;
}

/** The platform sent the state the device reported. */
export function syncAcknowledged(): void {
  guardOpen = false;
  guardReported = false;
}

export function syncReportDue(): bool { return reportDue; }

/** The state report was published at nowMs. */
export function syncReportSent(nowMs: u32): void {
  reportDue = false;
  guardReported = true;
  guardSince = nowMs;
}

/** New MQTT session: an unacknowledged device state is reported again. Returns true when it is. */
export function syncOnSession(nowMs: u32): bool {
  if (syncGuarded(nowMs)) {
    reportDue = true;
    guardReported = false;
  }
  return reportDue;
}
