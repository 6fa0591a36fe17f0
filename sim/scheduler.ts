/**
 * Virtual-time scheduler: runs many firmware instances on one `VirtualClock`
 * faster than real time, while each firmware ticks exactly as on a device
 * (it is called again at the time its last `tick` asked for, or earlier when
 * its socket has data).
 *
 * - Always runs the earliest due task (or timer), moving the clock to its time.
 * - Speed cap: virtual ms per real ms (`Infinity` = as fast as possible,
 *   1 = real time). Pacing is measured from a base, so a loop that falls
 *   behind (a burst of work) catches up by running without pauses; the base
 *   is reset only after a deliberate hold and when the lag exceeds
 *   `maxLagRealMs`.
 * - Network I/O is real (sockets to a broker). At an infinite speed virtual
 *   time must not race past a reply that is on its way: while a task waits
 *   for the network (`waitingForIo()`/`setWaiting`, e.g. CONNECT sent and no
 *   CONNACK yet), the clock is held, for at most `ioWaitRealMs` real ms per
 *   wait. At a finite speed the reply arrives in paced real time and nothing
 *   is held (`ioHold` changes this). `hold(promise)` holds the clock while
 *   some outside action (a platform publish, a broker restart) runs.
 * - One heap holds tasks and timers (each entry knows its index: a
 *   reschedule moves it in place).
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
  /** True while the task waits for a network reply; the clock may be held meanwhile (see `ioHold`, bounded by `ioWaitRealMs`). */
  waitingForIo?(): boolean;
}

/**
 * When a task's network wait holds the shared clock:
 * - "unpaced" (default): only at an infinite speed, where nothing else stops
 *   virtual time from racing past the reply. At a finite speed the reply
 *   arrives in real time like on a device (1 ms real on loopback = `speed` ms
 *   virtual), and holding the whole fleet for one device's PUBACK throws the
 *   pacing away.
 * - "always": at every speed (the old behaviour).
 * - "never".
 */
export type IoHoldPolicy = "unpaced" | "always" | "never";

export interface SchedulerOptions {
  /** Virtual ms per real ms (default Infinity). */
  speed?: number;
  /** Longest real time the clock is held for one task's network wait (default 250 ms). */
  ioWaitRealMs?: number;
  /** When network waits hold the clock (default "unpaced"). */
  ioHold?: IoHoldPolicy;
  /**
   * At a finite speed, how far (real ms) the loop may fall behind the pace
   * and still catch up by running without pauses; beyond it the pacing
   * restarts from now (the lag is dropped). Default 2000.
   */
  maxLagRealMs?: number;
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

/** An entry of the scheduler's one heap: a task or a timer, due at `at`. */
interface HeapItem {
  at: number;
  /** Timers (0) run before tasks (1) due at the same time. */
  rank: 0 | 1;
  /** Tie-break within a rank: tasks by id (order added), timers by (re)insertion. */
  order: number;
  /** Index in the heap, -1 when not in it. */
  hi: number;
}

interface TaskEntry extends HeapItem {
  rank: 1;
  id: number;
  task: SchedTask;
  /** performance.now() when the current network wait began, or null. */
  waitSince: number | null;
  removed: boolean;
  /** Pushed waiting state (`setWaiting`). */
  waiting: boolean;
  /** Consecutive ticks that asked for 0 ms. */
  zeroRun: number;
}

interface TimerEntry extends HeapItem {
  rank: 0;
  id: number;
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
  /** Times the loop fell more than `maxLagRealMs` behind the pace and dropped the lag. */
  lagResets: number;
  /** Largest lag behind the pace seen, real ms (caught up afterwards unless it exceeded `maxLagRealMs`). */
  maxLagRealMs: number;
}

/**
 * A binary min-heap of items that know their own index: update and remove in
 * O(log n), no stale entries, no allocation per reschedule.
 */
class ItemHeap<T extends HeapItem> {
  readonly a: T[] = [];

  get size(): number {
    return this.a.length;
  }

  peek(): T | undefined {
    return this.a[0];
  }

  push(x: T): void {
    x.hi = this.a.length;
    this.a.push(x);
    this.up(x.hi);
  }

  /** Re-places `x` after its `at` changed (pushes it when it is not in the heap). */
  update(x: T): void {
    if (x.hi < 0) return this.push(x);
    this.up(x.hi);
    this.down(x.hi);
  }

  remove(x: T): void {
    const i = x.hi;
    if (i < 0) return;
    const last = this.a.pop()!;
    x.hi = -1;
    if (last === x) return;
    this.a[i] = last;
    last.hi = i;
    this.up(i);
    this.down(last.hi);
  }

  private up(i: number): void {
    const a = this.a;
    const x = a[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const y = a[p]!;
      if (!less(x, y)) break;
      a[i] = y;
      y.hi = i;
      i = p;
    }
    a[i] = x;
    x.hi = i;
  }

  private down(i: number): void {
    const a = this.a;
    const n = a.length;
    const x = a[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && less(a[r]!, a[l]!) ? r : l;
      const y = a[c]!;
      if (!less(y, x)) break;
      a[i] = y;
      y.hi = i;
      i = c;
    }
    a[i] = x;
    x.hi = i;
  }
}

/** Heap order: earlier time first, then timers before tasks, then `order`. */
function less(x: HeapItem, y: HeapItem): boolean {
  return x.at < y.at || (x.at === y.at && (x.rank < y.rank || (x.rank === y.rank && x.order < y.order)));
}

export class Scheduler {
  readonly clock: VirtualClock;
  readonly stats: SchedulerStats = { ticks: 0, timers: 0, yields: 0, heldRealMs: 0, busyLoops: 0, lagResets: 0, maxLagRealMs: 0 };
  ioWaitRealMs: number;
  ioHold: IoHoldPolicy;
  maxLagRealMs: number;
  yieldEveryMs: number;
  busyTicks: number;
  busyStepMs: number;
  /** Called when the busy-loop guard moves a task on (once per episode). */
  onBusyLoop: ((taskId: number, atMs: number) => void) | null = null;

  /** Paces virtual time against real time at `speed`. */
  private readonly pacer: Pacer;
  private readonly tasks = new Map<number, TaskEntry>();
  private readonly timers = new Map<number, TimerEntry>();
  /** Tasks and timers, earliest first. */
  private readonly heap = new ItemHeap<TaskEntry | TimerEntry>();
  private readonly polled = new Set<TaskEntry>();
  private readonly waitingSet = new Set<TaskEntry>();
  private nextId = 1;
  private timerOrder = 0;
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
    this.ioHold = o.ioHold ?? "unpaced";
    this.maxLagRealMs = o.maxLagRealMs ?? 2000;
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

  /** Whether network waits hold the clock at the current speed (see `ioHold`). */
  get ioHoldActive(): boolean {
    return this.ioHold === "always" || (this.ioHold === "unpaced" && !Number.isFinite(this.pacer.speed));
  }

  /** Adds a task, first due at `firstAt` (default now). Returns its id. */
  add(task: SchedTask, firstAt = this.clock.now()): number {
    const id = this.nextId++;
    const e: TaskEntry = { at: firstAt, rank: 1, order: id, hi: -1, id, task, waitSince: null, removed: false, waiting: false, zeroRun: 0 };
    this.tasks.set(id, e);
    if (task.waitingForIo) this.polled.add(e);
    this.heap.push(e);
    this.interrupt();
    return id;
  }

  remove(id: number): void {
    const e = this.tasks.get(id);
    if (e) {
      e.removed = true;
      this.polled.delete(e);
      this.waitingSet.delete(e);
      this.heap.remove(e);
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
   * for large fleets): while on, the clock may be held (see `ioHold`, bounded by `ioWaitRealMs`).
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
    if (this.ioHoldActive) this.interrupt();
  }

  /** Makes a task due now (its socket has data). */
  wake(id: number): void {
    const e = this.tasks.get(id);
    if (!e) return;
    e.waitSince = null;
    const now = this.clock.now();
    if (e.at > now) {
      e.at = now;
      this.heap.update(e);
    }
    this.interrupt();
  }

  /** Calls `fn` at virtual time `at` (async functions hold the clock until they settle). Returns an id for `cancel`. */
  at(at: number, fn: () => void | Promise<void>): number {
    // A NaN deadline is never due and never passed: time would stand still with work pending.
    if (!Number.isFinite(at)) throw new RangeError(`at needs a finite virtual time, got ${at}`);
    return this.addTimer(at, 0, fn);
  }

  /** `at(now + ms, fn)`. */
  after(ms: number, fn: () => void | Promise<void>): number {
    return this.at(this.clock.now() + ms, fn);
  }

  /** Calls `fn` every `ms` of virtual time, first at now + ms (or `firstAt`). */
  every(ms: number, fn: () => void | Promise<void>, firstAt = this.clock.now() + ms): number {
    if (!(ms > 0)) throw new RangeError(`every needs ms > 0, got ${ms}`);
    return this.addTimer(firstAt, ms, fn);
  }

  cancel(id: number): void {
    const t = this.timers.get(id);
    if (!t) return;
    this.timers.delete(id);
    this.heap.remove(t);
  }

  /**
   * Holds virtual time until `p` settles (at most `maxRealMs` real ms, default 2000).
   * Tasks already due still run. Resolves/rejects like `p`. The pacing
   * restarts afterwards (time stood still on purpose: nothing to catch up).
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

  private addTimer(at: number, every: number, fn: () => void | Promise<void>): number {
    const id = this.nextId++;
    const t: TimerEntry = { at, rank: 0, order: this.timerOrder++, hi: -1, id, every, fn };
    this.timers.set(id, t);
    this.heap.push(t);
    this.interrupt();
    return id;
  }

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
    if (r === null) return;
    this.wakeResolve = null;
    r();
  }

  /** Waits `realMs` (0: one event-loop turn) or until interrupted. */
  private pause(realMs: number): Promise<void> {
    this.stats.yields++;
    this.lastYield = performance.now();
    if (realMs < 1) return new Promise<void>((resolve) => setImmediate(resolve));
    return new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        if (this.wakeResolve === finish) this.wakeResolve = null;
        resolve();
      };
      const timer = setTimeout(finish, realMs);
      this.wakeResolve = finish;
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

  private async loop(): Promise<void> {
    let heldSince: number | null = null;
    const heap = this.heap;
    while (!this.stopRequested) {
      const now = this.clock.now();
      if (now >= this.until) break;
      const realNow = performance.now();
      if (realNow - this.lastYield >= this.yieldEveryMs) {
        await this.pause(0);
        continue;
      }
      const top = heap.peek();
      const due = top ? top.at : Infinity;
      // runUntil(t) is exclusive: what is due at t or later runs in the next run.
      const atEnd = due >= this.until;
      const nextAt = atEnd ? this.until : due;

      if (nextAt > now) {
        // Time must move: not while held.
        if (this.holds > 0 || (this.ioHoldActive && this.ioHeld(realNow))) {
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
        // Behind the pace: catch up (run without pauses) unless the lag is beyond reason.
        if (wait < 0) {
          if (-wait > this.stats.maxLagRealMs) this.stats.maxLagRealMs = -wait;
          if (-wait > this.maxLagRealMs) {
            this.stats.lagResets++;
            this.rebase();
          }
        }
        this.clock.advanceTo(nextAt);
      }
      if (atEnd || !top) break;

      try {
        if (top.rank === 0) {
          const timer = top;
          if (timer.every > 0) {
            timer.at += timer.every;
            timer.order = this.timerOrder++;
            heap.update(timer);
          } else {
            heap.remove(timer);
            this.timers.delete(timer.id);
          }
          this.stats.timers++;
          const r = timer.fn();
          if (r && typeof (r as Promise<void>).then === "function") await this.hold(r as Promise<void>, 30_000);
        } else {
          const task = top;
          const wait = Math.max(0, task.task.tick());
          this.stats.ticks++;
          const own = task.task.now ? task.task.now() : 0;
          const cur = this.clock.now();
          const t = own > cur ? own : cur;
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
            task.at = next;
            heap.update(task);
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

  /** `start`: the device's own time begins there (a device that boots later than the others; default the shared time). */
  constructor(readonly shared: VirtualClock, start = shared.now()) {
    this.local = start;
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
