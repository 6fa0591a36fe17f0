/**
 * Non-blocking sockets for the firmware's `sock_*` imports (docs/ABI.md),
 * over real `net.Socket`s. Bytes received are queued; `recv` copies what is
 * queued (0 when nothing, negative once the peer closed or an error occurred
 * and the queue is drained). `send` accepts everything while the socket is
 * writable and lets Node buffer it.
 *
 * Between `cork()` and `uncork()` (a host brackets each firmware call with
 * them) the bytes sent on a handle are gathered and written with one
 * `write` per handle at `uncork`: a tick that sends a PUBLISH and a PUBACK
 * costs one syscall, not two. Outside a cork every send is written at once.
 *
 * TCP handshakes in flight are limited per process (`connectGate.limit`,
 * default 64): a fleet that boots thousands of devices at once would
 * overflow the broker's listen backlog (mosquitto: 100), and the dropped
 * SYNs are retried by the kernel only after 1, 3, 7, 15, 31 s, so a few
 * devices would connect tens of seconds late. A device whose connect waits
 * for the gate just sees its socket still connecting (status 0), as on a
 * slow network.
 */
import { Socket } from "node:net";

export const SOCK_CONNECTING = 0;
export const SOCK_CONNECTED = 1;
export const SOCK_ERR = -1;
export const SOCK_CLOSED = -2;

interface Entry {
  socket: Socket;
  state: number;
  queue: Buffer[];
  queued: number;
  /** Bytes sent while corked, not yet written. */
  out: Buffer[];
  /** Its place in the connect gate. */
  gate: { release: () => void; cancel: () => void } | null;
}

export interface SocketEvents {
  /** Bytes arrived on a handle (the host should tick soon). */
  onData?: (handle: number) => void;
  /** Bytes the firmware sent (for sniffing publishes). */
  onSend?: (handle: number, bytes: Uint8Array) => void;
  /** The connection was established, closed or failed. */
  onState?: (handle: number, state: number) => void;
}

/** Process-wide limit of TCP connects in flight (see the header). */
export const connectGate = {
  limit: 64,
  inFlight: 0,
  queue: [] as Array<() => void>,
  /** Runs `start` now or when a slot frees; returns a release function (call once the handshake ended, either way). */
  enter(start: () => void): { release: () => void; cancel: () => void } {
    let state: "queued" | "running" | "done" = "queued";
    const run = (): void => {
      if (state !== "queued") return;
      state = "running";
      connectGate.inFlight++;
      start();
    };
    const release = (): void => {
      if (state !== "running") return;
      state = "done";
      connectGate.inFlight--;
      while (connectGate.inFlight < connectGate.limit && connectGate.queue.length > 0) connectGate.queue.shift()!();
    };
    if (connectGate.inFlight < connectGate.limit) run();
    else connectGate.queue.push(run);
    return { release, cancel: () => { if (state === "queued") state = "done"; else release(); } };
  },
};

export class SocketTable {
  private readonly entries = new Map<number, Entry>();
  private nextHandle = 1;
  private corked = 0;
  /** Entries with gathered bytes (while corked). */
  private dirty: Entry[] = [];
  /** Optional redirection of every connect (tests route the firmware through a proxy). */
  connectOverride: ((host: string, port: number) => { host: string; port: number }) | null = null;

  constructor(private readonly events: SocketEvents = {}) {}

  connect(host: string, port: number): number {
    if (!host || port < 1 || port > 65535) return SOCK_ERR;
    const target = this.connectOverride ? this.connectOverride(host, port) : { host, port };
    const handle = this.nextHandle++;
    const socket = new Socket();
    const entry: Entry = { socket, state: SOCK_CONNECTING, queue: [], queued: 0, out: [], gate: null };
    this.entries.set(handle, entry);
    socket.setNoDelay(true);
    const gate = connectGate.enter(() => socket.connect(target.port, target.host));
    entry.gate = gate;
    socket.on("connect", () => {
      gate.release();
      if (entry.state === SOCK_CONNECTING) entry.state = SOCK_CONNECTED;
      this.events.onState?.(handle, entry.state);
    });
    socket.on("data", (chunk: Buffer) => {
      entry.queue.push(chunk);
      entry.queued += chunk.length;
      this.events.onData?.(handle);
    });
    socket.on("error", () => {
      gate.release();
      entry.state = SOCK_ERR;
      this.events.onState?.(handle, entry.state);
    });
    socket.on("close", () => {
      gate.release();
      if (entry.state >= 0) entry.state = SOCK_CLOSED;
      this.events.onState?.(handle, entry.state);
      this.events.onData?.(handle);
    });
    return handle;
  }

  status(handle: number): number {
    const e = this.entries.get(handle);
    if (!e) return SOCK_ERR;
    return e.state;
  }

  send(handle: number, bytes: Uint8Array): number {
    const e = this.entries.get(handle);
    if (!e) return SOCK_ERR;
    if (e.state !== SOCK_CONNECTED) return e.state < 0 ? e.state : 0;
    const copy = Buffer.from(bytes);
    this.events.onSend?.(handle, copy);
    if (this.corked > 0) {
      if (e.out.length === 0) this.dirty.push(e);
      e.out.push(copy);
    } else {
      e.socket.write(copy);
    }
    return bytes.length;
  }

  /** Gathers sends until the matching `uncork()` (nests). */
  cork(): void {
    this.corked++;
  }

  /** Writes what was gathered since the outermost `cork()`, one write per handle. */
  uncork(): void {
    if (this.corked === 0 || --this.corked > 0) return;
    const dirty = this.dirty;
    if (dirty.length === 0) return;
    this.dirty = [];
    for (const e of dirty) {
      const out = e.out;
      e.out = [];
      if (e.socket.destroyed) continue;
      e.socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
    }
  }

  /** Copies up to `cap` queued bytes into `out`; count, 0 when nothing, <0 when closed and drained. */
  recv(handle: number, out: Uint8Array, cap: number): number {
    const e = this.entries.get(handle);
    if (!e) return SOCK_ERR;
    if (e.queued === 0) return e.state < 0 ? e.state : 0;
    let n = 0;
    while (n < cap && e.queue.length > 0) {
      const head = e.queue[0]!;
      const take = Math.min(head.length, cap - n);
      out.set(head.subarray(0, take), n);
      n += take;
      if (take === head.length) e.queue.shift();
      else e.queue[0] = head.subarray(take);
    }
    e.queued -= n;
    return n;
  }

  /** `recv` into `mem` at `offset` (the caller has checked `offset + cap` is inside `mem`): no view per call. */
  recvInto(handle: number, mem: Uint8Array, offset: number, cap: number): number {
    const e = this.entries.get(handle);
    if (!e) return SOCK_ERR;
    if (e.queued === 0) return e.state < 0 ? e.state : 0;
    let n = 0;
    while (n < cap && e.queue.length > 0) {
      const head = e.queue[0]!;
      const take = Math.min(head.length, cap - n);
      mem.set(take === head.length ? head : head.subarray(0, take), offset + n);
      n += take;
      if (take === head.length) e.queue.shift();
      else e.queue[0] = head.subarray(take);
    }
    e.queued -= n;
    return n;
  }

  /** Bytes waiting to be read on `handle`. */
  pending(handle: number): number {
    return this.entries.get(handle)?.queued ?? 0;
  }

  close(handle: number): void {
    const e = this.entries.get(handle);
    if (!e) return;
    this.entries.delete(handle);
    e.gate?.cancel();
    if (e.out.length > 0) {
      // Sent before the close in the same firmware call (a DISCONNECT): written first.
      e.socket.write(e.out.length === 1 ? e.out[0]! : Buffer.concat(e.out));
      e.out = [];
      this.dirty = this.dirty.filter((x) => x !== e);
    }
    e.socket.removeAllListeners();
    e.socket.on("error", () => {});
    e.socket.end();
    e.socket.destroySoon();
  }

  closeAll(): void {
    for (const h of [...this.entries.keys()]) this.close(h);
  }

  get openCount(): number {
    return this.entries.size;
  }
}
