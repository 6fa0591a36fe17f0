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

/**
 * The agreement about the relay state. Two facts, one state: the report is
 * due (bit 0) and the guard is open (bit 1); the bits are the encoding, the
 * names are what the code uses.
 */
export const enum SyncState {
  /** Nothing to report, no guard: platform states apply. */
  AGREED = 0,
  /** The guard closed on time with the report still unpublished (e.g. offline): it stays due. */
  OVERDUE = 1,
  /** Reported; the guard stays open until GUARD_MS after the device state arose. */
  REPORTED = 2,
  /** A device state arose: report due, guard open. */
  UNREPORTED = 3,
}
const DUE: i32 = 1;
const GUARD: i32 = 2;

let state: SyncState = SyncState.AGREED;
let seenSeq: u32 = 0;
let seenHeld: u32 = 0;
let guardSince: u32 = 0;      // when the device state arose (the guard's only time base)

/** Snapshot at reportInit: changes before it (boot) are handled by reportInit itself. */
export function syncInit(): void {
  seenSeq = pumpChangeSeq();
  seenHeld = pumpHeldRefusals();
  state = SyncState.AGREED;
}

/** The device holds a state the platform may not know: report it and guard it. */
export function syncDeviceState(nowMs: u32): void {
  state = SyncState.UNREPORTED;
  guardSince = nowMs;
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

/** Closes the guard (UNREPORTED -> OVERDUE, REPORTED -> AGREED); the report stays due if it was. */
// @ts-ignore: decorator
@inline function closeGuard(): void {
  state = <SyncState>(<i32>state & DUE);
}

/** True while contradicting platform states are to be treated as stale echoes (UNREPORTED, REPORTED). */
export function syncGuarded(nowMs: u32): bool {
  if ((<i32>state & GUARD) != 0 && elapsed(nowMs, guardSince) >= GUARD_MS) closeGuard();
  return (<i32>state & GUARD) != 0;
}

/** The platform sent the state the device reported. */
export function syncAcknowledged(): void {
  closeGuard();
}

/** A state report is due (UNREPORTED, OVERDUE). */
// @ts-ignore: decorator
@inline export function syncReportDue(): bool { return (<i32>state & DUE) != 0; }

/** The state report was published (UNREPORTED -> REPORTED, OVERDUE -> AGREED; the guard's deadline does not move). */
export function syncReportSent(): void {
  state = <SyncState>(<i32>state & GUARD);
}

/** New MQTT session: a device state not yet reported, or still guarded, is reported (again) (REPORTED -> UNREPORTED). Returns true when it is. */
export function syncOnSession(nowMs: u32): bool {
  if (syncGuarded(nowMs)) state = SyncState.UNREPORTED;
  return syncReportDue();
}

