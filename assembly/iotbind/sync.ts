// Relay-state agreement between the device and the platform (no oscillation).
//
// The platform echoes the switch state it holds after every update it
// processes, so a state message can be older than a change the device made on
// its own (button, auto mode, safety cut-off, a refused platform command). Rule:
//
// - A *device state* arises when the relay changes with a source other than
//   PLATFORM (pumpChangeSeq()/pumpLastChangeSource()) and when a platform
//   command is refused (the relay keeps its state), also when a held or
//   pending platform "on" is refused later (pumpHeldRefusals()). It must be reported to the platform (uplink kind 3, or kind 2
//   together with a reading) and opens a *guard*.
// - While the guard is open, a downlink `cmd` that contradicts the relay's
//   current state is a stale echo: ignored, counted (counter 39), logged.
//   A downlink `cmd` equal to the relay's state acknowledges the report and
//   closes the guard.
// - The guard closes on time: GUARD_MS after the device state arose, whatever
//   happens to the report (published, queued behind a full QoS 1 window,
//   never acknowledged, offline). Nothing extends it, so the platform is never
//   locked out longer than GUARD_MS. The report itself stays due until it has
//   been published; after a reconnect a report still due (or one published
//   while the guard is open) goes out instead of `get`.
import { pumpChangeSeq, pumpLastChangeSource, pumpHeldRefusals, PumpSource } from "../pump/pump";
import { elapsed } from "../util/time";
import { GUARD_MS } from "../tunables";
export { GUARD_MS };


let seenSeq: u32 = 0;
let seenHeld: u32 = 0;
let guardOpen: bool = false;
let guardSince: u32 = 0;      // when the device state arose (the guard's only time base)
let reportDue: bool = false;

/** Snapshot at reportInit: changes before it (boot) are handled by reportInit itself. */
export function syncInit(): void {
  seenSeq = pumpChangeSeq();
  seenHeld = pumpHeldRefusals();
  guardOpen = false;
  reportDue = false;
}

/** The device holds a state the platform may not know: report it and guard it. */
export function syncDeviceState(nowMs: u32): void {
  guardOpen = true;
  guardSince = nowMs;
  reportDue = true;
}

/** Picks up relay changes made on the device since the last call. */
export function syncLocalChanges(nowMs: u32): void {
  // A held platform "on" finally refused by the pump: the platform believes
  // "on", so the real state is reported like a refused command.
  const h = pumpHeldRefusals();
  if (h != seenHeld) { seenHeld = h; syncDeviceState(nowMs); }
  const s = pumpChangeSeq();
  if (s == seenSeq) return;
  seenSeq = s;
  if (pumpLastChangeSource() != PumpSource.PLATFORM) syncDeviceState(nowMs);
}

/** Records the relay change just made for the platform, so it is not mistaken for a local one. */
export function syncPlatformApplied(): void {
  seenSeq = pumpChangeSeq();
}

/** True while contradicting platform states are to be treated as stale echoes. */
export function syncGuarded(nowMs: u32): bool {
  if (guardOpen && elapsed(nowMs, guardSince) >= GUARD_MS) guardOpen = false;
  return guardOpen;
}

/** The platform sent the state the device reported. */
export function syncAcknowledged(): void {
  guardOpen = false;
}

export function syncReportDue(): bool { return reportDue; }

/** The state report was published (it does not move the guard's deadline). */
export function syncReportSent(): void {
  reportDue = false;
}

/** New MQTT session: a device state not yet reported, or still guarded, is reported (again). Returns true when it is. */
export function syncOnSession(nowMs: u32): bool {
  if (syncGuarded(nowMs)) reportDue = true;
  return reportDue;
}
