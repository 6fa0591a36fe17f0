/**
 * Virtual-time scheduler: runs many firmware instances on one `VirtualClock`
 * faster than real time, while each firmware ticks exactly as on a device
 * (it is called again at the time its last `tick` asked for, or earlier when
 * its socket has data).
 *
 * - Always runs the earliest due task (or timer), moving the clock to its time.
 * - Speed cap: virtual ms per real ms (`Infinity` = as fast as possible,
 *   1 = real time). Pacing is measured from a base that is reset after holds
 *   and when the host falls behind, so it never bursts to "catch up".
 * - Network I/O is real (sockets to a broker), so virtual time must not race
 *   past a reply that is on its way: while a task waits for the network
 *   (`waitingForIo()`, e.g. CONNECT sent and no CONNACK yet), the clock is
 *   held, for at most `ioWaitRealMs` real ms per wait. `hold(promise)` holds
 *   it while some outside action (a platform publish, a broker restart) runs.
 * - Yields to the event loop (setImmediate) at least every `yieldEveryMs` of
 *   real time, so socket data and timers are processed.
 *
 *   const sched = new Scheduler(clock, { speed: 1000 });
 *   const id = sched.add({ tick: () => dev.tick(), waitingForIo: () => ... });
 *   dev.on("io", (kind) => { if (kind !== "sent") sched.wake(id); });
 *   await sched.runFor(3_600_000);
 */
import { performance } from "node:perf_hooks";
import { Pacer, type AdvanceableClock, type VirtualClock } from "./clock.js";

export interface SchedTask {
  /** Runs one step at `clock.now()`; returns the ms until it wants to run again. */
  tick(): number;
  /** The task's own time after a tick (a `TaskClock` that ran ahead while the device blocked); default the shared clock. */
  now?(): number;
  /** True while the task waits for a network reply; the clock is held meanwhile (bounded by `ioWaitRealMs`). */
  waitingForIo?(): boolean;
}

export interface SchedulerOptions {
  /** Virtual ms per real ms (default Infinity). */
  speed?: number;
  /** Longest real time the clock is held for one task's network wait (default 250 ms). */
  ioWaitRealMs?: number;
  /** Yield to the event loop at least this often, real ms (default 1). */
  yieldEveryMs?: number;
  /**
   * Busy-loop guard: after this many consecutive zero-wait ticks of one task,
   * it is next run `busyStepMs` later (on a device the ticks themselves take
   * time) until it asks for a real wait again. Default 1000.
   */
  busyTicks?: number;
  /** Default 1 ms. */
  busyStepMs?: number;
}

interface TaskEntry {
  id: number;
  task: SchedTask;
  nextAt: number;
  /** performance.now() when the current network wait began, or null. */
  waitSince: number | null;
  removed: boolean;
  /** Bumped on every reschedule; heap entries with an older seq are stale. */
  seq: number;
  /** Pushed waiting state (`setWaiting`). */
  waiting: boolean;
  /** Consecutive ticks that asked for 0 ms. */
  zeroRun: number;
}

interface TimerEntry {
  id: number;
  at: number;
  every: number;
  fn: () => void | Promise<void>;
}

export interface SchedulerStats {
  ticks: number;
  timers: number;
  yields: number;
  /** Real ms the clock was held waiting for the network or outside actions. */
  heldRealMs: number;
  /** Times the busy-loop guard had to move a task on (a firmware that keeps asking for 0 ms without doing anything). */
  busyLoops: number;
}

export class Scheduler {
  readonly clock: VirtualClock;
  readonly stats: SchedulerStats = { ticks: 0, timers: 0, yields: 0, heldRealMs: 0, busyLoops: 0 };
  ioWaitRealMs: number;
  yieldEveryMs: number;
  busyTicks: number;
  busyStepMs: number;
  /** Called when the busy-loop guard moves a task on (once per episode). */
  onBusyLoop: ((taskId: number, atMs: number) => void) | null = null;

  /** Paces virtual time against real time at `speed`. */
  private readonly pacer: Pacer;
  private readonly tasks = new Map<number, TaskEntry>();
  /** Min-heap of [nextAt, seq, entry] (lazy deletion). */
  private heap: Array<{ at: number; seq: number; e: TaskEntry }> = [];
  private readonly polled = new Set<TaskEntry>();
  private readonly waitingSet = new Set<TaskEntry>();
  private timers: TimerEntry[] = [];
  private nextId = 1;
  private holds = 0;
  private running: Promise<void> | null = null;
  private stopRequested = false;
  private until = Infinity;
  private wakeResolve: (() => void) | null = null;
  private lastYield = performance.now();
  private error: unknown = null;

  constructor(clock: VirtualClock, o: SchedulerOptions = {}) {
    this.clock = clock;
    this.pacer = new Pacer(clock, o.speed ?? Infinity);
    this.ioWaitRealMs = o.ioWaitRealMs ?? 250;
    this.yieldEveryMs = o.yieldEveryMs ?? 1;
    this.busyTicks = o.busyTicks ?? 1000;
    this.busyStepMs = o.busyStepMs ?? 1;
  }

  /** Virtual ms per real ms (Infinity = as fast as possible). */
  get speed(): number {
    return this.pacer.speed;
  }

  set speed(v: number) {
    this.pacer.speed = v;
    this.interrupt();
  }

  /** Whether the loop is running. */
  get isRunning(): boolean {
    return this.running !== null;
  }

  /** Adds a task, first due at `firstAt` (default now). Returns its id. */
  add(task: SchedTask, firstAt = this.clock.now()): number {
    const id = this.nextId++;
    const e: TaskEntry = { id, task, nextAt: firstAt, waitSince: null, removed: false, seq: 0, waiting: false, zeroRun: 0 };
    this.tasks.set(id, e);
    if (task.waitingForIo) this.polled.add(e);
    this.push(e);
    this.interrupt();
    return id;
  }

  remove(id: number): void {
    const e = this.tasks.get(id);
    if (e) {
      e.removed = true;
      this.polled.delete(e);
      this.waitingSet.delete(e);
    }
    this.tasks.delete(id);
  }

  /** A task's network wait made progress (bytes sent or received): its `ioWaitRealMs` budget starts again. */
  progress(id: number): void {
    const e = this.tasks.get(id);
    if (e) e.waitSince = null;
  }

  /**
   * Pushes a task's network-wait state (cheaper than `waitingForIo` polling
   * for large fleets): while on, the clock is held (bounded by `ioWaitRealMs`).
   */
  setWaiting(id: number, waiting: boolean): void {
    const e = this.tasks.get(id);
    if (!e || e.waiting === waiting) return;
    e.waiting = waiting;
    if (waiting) this.waitingSet.add(e);
    else {
      this.waitingSet.delete(e);
      if (!e.task.waitingForIo) e.waitSince = null;
    }
    this.interrupt();
  }

  /** Makes a task due now (its socket has data). */
  wake(id: number): void {
    const e = this.tasks.get(id);
    if (!e) return;
    e.waitSince = null;
    const now = this.clock.now();
    if (e.nextAt > now) {
      e.nextAt = now;
      this.push(e);
    }
    this.interrupt();
  }

  /** Calls `fn` at virtual time `at` (async functions hold the clock until they settle). Returns an id for `cancel`. */
  at(at: number, fn: () => void | Promise<void>): number {
    // A NaN deadline is never due and never passed: time would stand still with work pending.
    if (!Number.isFinite(at)) throw new RangeError(`at needs a finite virtual time, got ${at}`);
    const id = this.nextId++;
    this.insertTimer({ id, at, every: 0, fn });
    this.interrupt();
    return id;
  }

  /** `at(now + ms, fn)`. */
  after(ms: number, fn: () => void | Promise<void>): number {
    return this.at(this.clock.now() + ms, fn);
  }

  /** Calls `fn` every `ms` of virtual time, first at now + ms (or `firstAt`). */
  every(ms: number, fn: () => void | Promise<void>, firstAt = this.clock.now() + ms): number {
    if (!(ms > 0)) throw new RangeError(`every needs ms > 0, got ${ms}`);
    const id = this.nextId++;
    this.insertTimer({ id, at: firstAt, every: ms, fn });
    this.interrupt();
    return id;
  }

  cancel(id: number): void {
    this.timers = this.timers.filter((t) => t.id !== id);
  }

  /**
   * Holds virtual time until `p` settles (at most `maxRealMs` real ms, default 2000).
   * Tasks already due still run. Resolves/rejects like `p`.
   */
  async hold<T>(p: Promise<T>, maxRealMs = 2000): Promise<T> {
    this.holds++;
    let t: NodeJS.Timeout | null = null;
    const released = new Promise<void>((r) => { t = setTimeout(r, maxRealMs); });
    try {
      const out = await Promise.race([p, released.then(() => p)]);
      return out;
    } finally {
      if (t) clearTimeout(t);
      this.holds--;
      this.rebase();
      this.interrupt();
    }
  }

  /** Runs until stopped (resolves when `stop()` is called). */
  run(): Promise<void> {
    this.until = Infinity;
    return this.start();
  }

  /** Runs until the clock reaches `t` (or stop). */
  runUntil(t: number): Promise<void> {
    this.until = t;
    return this.start();
  }

  /** Runs for `ms` of virtual time from now. */
  runFor(ms: number): Promise<void> {
    return this.runUntil(this.clock.now() + ms);
  }

  /** Stops the loop after the current step; resolves once it has stopped. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    this.interrupt();
    await this.running;
  }

  // ---------------------------------------------------------------- internals

  private start(): Promise<void> {
    if (this.running) throw new Error("scheduler already running");
    this.stopRequested = false;
    this.error = null;
    this.rebase();
    this.running = this.loop().finally(() => {
      this.running = null;
    });
    return this.running.then(() => {
      if (this.error) throw this.error;
    });
  }

  private rebase(): void {
    this.pacer.rebase();
  }

  private interrupt(): void {
    const r = this.wakeResolve;
    this.wakeResolve = null;
    r?.();
  }

  private insertTimer(t: TimerEntry): void {
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1]!.at > t.at) i--;
    this.timers.splice(i, 0, t);
  }

  /** Waits `realMs` (0: one event-loop turn) or until interrupted. */
  private pause(realMs: number): Promise<void> {
    this.stats.yields++;
    this.lastYield = performance.now();
    return new Promise<void>((resolve) => {
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        if (timer) clearTimeout(timer);
        if (imm) clearImmediate(imm);
        if (this.wakeResolve === finish) this.wakeResolve = null;
        resolve();
      };
      let timer: NodeJS.Timeout | null = null;
      let imm: NodeJS.Immediate | null = null;
      if (realMs >= 1) {
        timer = setTimeout(finish, realMs);
        this.wakeResolve = finish;
      } else {
        imm = setImmediate(finish);
      }
    });
  }

  /** True (and the wait is tracked) while some task waits for the network within its real-time budget. */
  private ioHeld(now: number): boolean {
    let held = false;
    const check = (e: TaskEntry, waiting: boolean): void => {
      if (!waiting) {
        e.waitSince = null;
        return;
      }
      if (e.waitSince === null) e.waitSince = now;
      if (now - e.waitSince < this.ioWaitRealMs) held = true;
    };
    for (const e of this.polled) check(e, e.waiting || e.task.waitingForIo!());
    for (const e of this.waitingSet) if (!this.polled.has(e)) check(e, true);
    return held;
  }

  private push(e: TaskEntry): void {
    e.seq++;
    const h = this.heap;
    h.push({ at: e.nextAt, seq: e.seq, e });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private popTop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && less(h[l]!, h[m]!)) m = l;
      if (r < h.length && less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }

  private earliestTask(): TaskEntry | null {
    while (this.heap.length > 0) {
      const top = this.heap[0]!;
      if (!top.e.removed && top.seq === top.e.seq) return top.e;
      this.popTop();
    }
    return null;
  }

  private async loop(): Promise<void> {
    let heldSince: number | null = null;
    while (!this.stopRequested) {
      const now = this.clock.now();
      if (now >= this.until) break;
      const realNow = performance.now();
      if (realNow - this.lastYield >= this.yieldEveryMs) {
        await this.pause(0);
        continue;
      }
      const task = this.earliestTask();
      const timer = this.timers[0] ?? null;
      const taskAt = task ? task.nextAt : Infinity;
      const timerAt = timer ? timer.at : Infinity;
      const due = Math.min(taskAt, timerAt);
      // runUntil(t) is exclusive: what is due at t or later runs in the next run.
      const atEnd = due >= this.until;
      const nextAt = atEnd ? this.until : due;

      if (nextAt > now) {
        // Time must move: not while held.
        if (this.holds > 0 || this.ioHeld(realNow)) {
          heldSince ??= realNow;
          await this.pause(1);
          continue;
        }
        if (heldSince !== null) {
          this.stats.heldRealMs += realNow - heldSince;
          heldSince = null;
          this.rebase();
        }
        const wait = this.pacer.realOffsetUntil(nextAt, realNow);
        if (wait >= 1) {
          await this.pause(Math.min(wait, 100));
          continue;
        }
        if (wait < -100) this.rebase(); // fell behind: do not burst to catch up
        this.clock.advanceTo(nextAt);
      }
      if (atEnd) break;

      try {
        if (timer && timer.at <= this.clock.now() && timer.at <= taskAt) {
          this.timers.shift();
          if (timer.every > 0) this.insertTimer({ ...timer, at: timer.at + timer.every });
          this.stats.timers++;
          const r = timer.fn();
          if (r && typeof (r as Promise<void>).then === "function") await this.hold(r as Promise<void>, 30_000);
        } else if (task) {
          const wait = Math.max(0, task.task.tick());
          this.stats.ticks++;
          const t = Math.max(this.clock.now(), task.task.now?.() ?? 0);
          task.zeroRun = wait === 0 ? task.zeroRun + 1 : 0;
          let next = t + wait;
          if (task.zeroRun >= this.busyTicks) {
            if (task.zeroRun === this.busyTicks) {
              this.stats.busyLoops++;
              this.onBusyLoop?.(task.id, t);
            }
            next = t + this.busyStepMs;
          }
          if (!task.removed) {
            task.nextAt = next;
            this.push(task);
          }
        }
      } catch (e) {
        this.error = e;
        break;
      }
    }
    this.stopRequested = false;
  }
}

/**
 * One device's view of the shared virtual clock. Time a device spends
 * blocked inside a tick (pulseIn, delayUs) moves only its own clock ahead,
 * not everyone's: `now()` is the later of the shared time and the device's
 * own; give it to the device's hardware and host, and as the task's `now`.
 */
export class TaskClock implements AdvanceableClock {
  private local: number;

  constructor(readonly shared: VirtualClock) {
    this.local = shared.now();
  }

  now(): number {
    const t = this.shared.now();
    return this.local > t ? this.local : t;
  }

  advance(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`advance needs a finite ms >= 0, got ${ms}`);
    this.local = this.now() + ms;
  }

  /** The same real-time pacing hint as the shared clock (virtual ms per real ms). */
  realMsFor(virtualMs: number): number {
    return this.shared.realMsFor(virtualMs);
  }
}

/**
 * Whether an MQTT byte chunk the client sent contains a packet the server
 * answers (CONNECT, PUBLISH QoS > 0, PUBREL, SUBSCRIBE, UNSUBSCRIBE, PINGREQ).
 * A chunk that does not parse counts as expecting a reply.
 */
export function mqttExpectsReply(bytes: Uint8Array): boolean {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const type = b >> 4;
    if (type === 1 || type === 6 || type === 8 || type === 10 || type === 12) return true;
    if (type === 3 && ((b >> 1) & 3) > 0) return true;
    let len = 0;
    let mul = 1;
    let j = i + 1;
    for (;;) {
      if (j >= bytes.length || mul > 128 ** 3) return j >= bytes.length ? false : true;
      const c = bytes[j++]!;
      len += (c & 127) * mul;
      mul *= 128;
      if ((c & 128) === 0) break;
    }
    i = j + len;
  }
  return false;
}

/** Heap order: earlier time first, then the order of scheduling (seq is per task, so ties go by insertion below). */
function less(a: { at: number; e: { id: number } }, b: { at: number; e: { id: number } }): boolean {
  return a.at < b.at || (a.at === b.at && a.e.id < b.e.id);
}
