/**
 * A loopback TCP fault proxy owned by the test: the firmware connects to it
 * (Device `connectOverride`), it connects on to the real broker. Per
 * connection it can forward, stall (stop forwarding, buffer, keep the
 * sockets open), black-hole (drop everything, keep the sockets open), slow
 * the link to one byte per write, or cut it (destroy both sides) — also
 * in the middle of a packet, after a given number of bytes. It can also drop
 * whole MQTT packets of one direction by rule (e.g. every PUBACK), and answer
 * a CONNECT itself instead of the broker (a stricter broker in front of the
 * real one).
 */
import { createServer, Socket, type Server, type AddressInfo } from "node:net";

export type LinkMode = "forward" | "stall" | "blackhole" | "slow";
export type Direction = "up" | "down"; // up: device -> broker, down: broker -> device

/** Decides, per whole MQTT packet (first byte, whole packet), whether to drop it. */
export type PacketDrop = (b0: number, packet: Buffer) => boolean;

interface Pipe {
  mode: LinkMode;
  queue: Buffer[];
  busy: boolean;
  bytes: number;
  cutAt: number | null;
  drop: PacketDrop | null;
  partial: Buffer;
  dropped: number;
}

/** Length of the MQTT packet at the start of `b`, or 0 when it is not complete yet. */
export function mqttPacketLength(b: Buffer): number {
  let len = 0;
  let mul = 1;
  for (let i = 1; i < 5; i++) {
    if (i >= b.length) return 0;
    len += (b[i]! & 0x7f) * mul;
    mul *= 128;
    if ((b[i]! & 0x80) === 0) return b.length >= i + 1 + len ? i + 1 + len : 0;
  }
  throw new Error("malformed remaining length");
}

export class ProxyLink {
  readonly opened = Date.now();
  closed = false;
  private readonly pipes: Record<Direction, Pipe>;

  constructor(readonly client: Socket, readonly upstream: Socket, mode: LinkMode, private readonly slowGapMs: number, private readonly onClose: (l: ProxyLink) => void) {
    const mk = (): Pipe => ({ mode, queue: [], busy: false, bytes: 0, cutAt: null, drop: null, partial: Buffer.alloc(0), dropped: 0 });
    this.pipes = { up: mk(), down: mk() };
    client.on("data", (b: Buffer) => this.in("up", b));
    upstream.on("data", (b: Buffer) => this.in("down", b));
    const end = (): void => {
      // In stall/black-hole the far side closing is not passed on: the device keeps a half-open socket.
      if (this.pipes.up.mode === "blackhole" || this.pipes.up.mode === "stall") return;
      this.cut();
    };
    client.on("close", () => this.cut());
    upstream.on("close", end);
    client.on("error", () => this.cut());
    upstream.on("error", end);
  }

  /** Bytes forwarded so far in a direction. */
  bytes(dir: Direction): number {
    return this.pipes[dir].bytes;
  }

  setMode(mode: LinkMode, dir?: Direction): void {
    for (const d of dir ? [dir] : (["up", "down"] as const)) {
      const p = this.pipes[d];
      p.mode = mode;
      if (mode === "blackhole") p.queue = [];
      this.pump(d);
    }
  }

  /** Drops whole MQTT packets going in `dir` for which `drop` is true (null: forward everything). */
  setDrop(dir: Direction, drop: PacketDrop | null): void {
    this.pipes[dir].drop = drop;
  }

  /** MQTT packets dropped so far in a direction. */
  dropped(dir: Direction): number {
    return this.pipes[dir].dropped;
  }

  /** Bytes that arrived before this link existed (a gated CONNECT), forwarded as if just received. */
  inject(dir: Direction, b: Buffer): void {
    this.in(dir, b);
  }

  /** Cuts the link after `n` more bytes went in `dir` (mid-packet when n falls inside one). */
  cutAfter(dir: Direction, n: number): void {
    this.pipes[dir].cutAt = this.pipes[dir].bytes + n;
  }

  /** Destroys both sides at once (RST-like for the device: its next recv sees the close). */
  cut(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.destroy();
    this.upstream.destroy();
    this.onClose(this);
  }

  private in(dir: Direction, b: Buffer): void {
    const p = this.pipes[dir];
    if (p.mode === "blackhole" || this.closed) return;
    if (p.drop) {
      p.partial = Buffer.concat([p.partial, b]);
      for (let n = mqttPacketLength(p.partial); n > 0; n = mqttPacketLength(p.partial)) {
        const pkt = p.partial.subarray(0, n);
        p.partial = p.partial.subarray(n);
        if (p.drop(pkt[0]!, pkt)) p.dropped++;
        else p.queue.push(pkt);
      }
    } else {
      p.queue.push(b);
    }
    this.pump(dir);
  }

  private pump(dir: Direction): void {
    const p = this.pipes[dir];
    if (p.busy || this.closed) return;
    const out = dir === "up" ? this.upstream : this.client;
    while (p.queue.length && (p.mode === "forward" || p.mode === "slow")) {
      let chunk = p.queue[0]!;
      if (p.mode === "slow") chunk = chunk.subarray(0, 1);
      if (p.cutAt !== null) chunk = chunk.subarray(0, Math.max(0, p.cutAt - p.bytes));
      if (chunk.length) {
        out.write(chunk);
        p.bytes += chunk.length;
      }
      const head = p.queue[0]!;
      if (chunk.length === head.length) p.queue.shift();
      else p.queue[0] = head.subarray(chunk.length);
      if (p.cutAt !== null && p.bytes >= p.cutAt) {
        // let the partial bytes leave before the cut
        setTimeout(() => this.cut(), 20);
        p.queue = [];
        return;
      }
      if (p.mode === "slow") {
        p.busy = true;
        setTimeout(() => { p.busy = false; this.pump(dir); }, this.slowGapMs);
        return;
      }
    }
  }
}

export class FaultProxy {
  /** Mode of links accepted from now on. */
  mode: LinkMode = "forward";
  /** Refuse new connections (accept and destroy at once). */
  refuse = false;
  /** Packet drop rule of the broker-to-device direction for links accepted from now on. */
  dropDown: PacketDrop | null = null;
  /**
   * Answers the device's CONNECT instead of the broker: returns the bytes to
   * send back before closing (a refusal), or null to connect on to the broker.
   */
  gate: ((connect: Buffer) => Buffer | null) | null = null;
  /** CONNECTs the gate answered itself. */
  gated = 0;
  readonly links: ProxyLink[] = [];
  accepted = 0;
  private constructor(private readonly server: Server, readonly port: number, readonly target: { host: string; port: number }, private readonly slowGapMs: number) {}

  static async start(target: { host: string; port: number }, opts: { slowGapMs?: number } = {}): Promise<FaultProxy> {
    let proxy: FaultProxy | null = null;
    const server = createServer({ noDelay: true }, (client) => proxy!.accept(client));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    proxy = new FaultProxy(server, (server.address() as AddressInfo).port, target, opts.slowGapMs ?? 1);
    return proxy;
  }

  /** The connect override for a Device: every connect goes to the proxy. */
  get override(): (host: string, port: number) => { host: string; port: number } {
    return () => ({ host: "127.0.0.1", port: this.port });
  }

  /** Open links. */
  get live(): ProxyLink[] {
    return this.links.filter((l) => !l.closed);
  }

  /** The newest open link. */
  get current(): ProxyLink | undefined {
    const live = this.live;
    return live[live.length - 1];
  }

  private accept(client: Socket): void {
    this.accepted++;
    client.setNoDelay(true);
    if (this.refuse) { client.destroy(); return; }
    if (!this.gate) { this.link(client, Buffer.alloc(0)); return; }
    const gate = this.gate;
    let head = Buffer.alloc(0);
    const onData = (b: Buffer): void => {
      head = Buffer.concat([head, b]);
      if (mqttPacketLength(head) === 0) return;
      client.off("data", onData);
      const reply = gate(head.subarray(0, mqttPacketLength(head)));
      if (reply) {
        this.gated++;
        client.end(reply); // as a broker does after a refusing CONNACK
        return;
      }
      this.link(client, head);
    };
    client.on("data", onData);
    client.on("error", () => client.destroy());
  }

  private link(client: Socket, head: Buffer): void {
    const upstream = new Socket();
    upstream.setNoDelay(true);
    const link = new ProxyLink(client, upstream, this.mode, this.slowGapMs, () => {});
    if (this.dropDown) link.setDrop("down", this.dropDown);
    this.links.push(link);
    upstream.connect(this.target.port, this.target.host);
    if (head.length) link.inject("up", head);
  }

  /** Sets the mode of every open link (and of new ones unless `onlyExisting`). */
  setMode(mode: LinkMode, onlyExisting = false): void {
    if (!onlyExisting) this.mode = mode;
    for (const l of this.live) l.setMode(mode);
  }

  cutAll(): void {
    for (const l of this.live) l.cut();
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
