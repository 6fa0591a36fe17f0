// Client state: one WebSocket to the simulator (reconnects), the current page,
// chart samples per device, the open device and its log. Components subscribe
// to `version` changes.
import type { ClientMsg, DetailMsg, DeviceSummary, HelloMsg, LogEntry, PageMsg, Samples, ServerMsg, StatusFilter } from "../../sim/web/protocol.js";

export interface View {
  filter: string;
  status: StatusFilter;
  page: number;
  pageSize: number;
}

const MAX_POINTS = 5000;
const MAX_LOG = 500;

export class Store {
  connected = false;
  /** Real time (Date.now()) the connection was lost; null while connected or before the first connection. */
  lostAt: number | null = null;
  hello: HelloMsg | null = null;
  page: PageMsg | null = null;
  view: View = { filter: "", status: "all", page: 0, pageSize: 12 };
  readonly samples = new Map<string, { data: Samples; version: number }>();
  detailUid: string | null = null;
  detail: DetailMsg | null = null;
  config: Record<string, string | number | boolean> | null = null;
  log: LogEntry[] = [];
  /** Bumped on every change. */
  version = 0;
  /** uid → text of the last command error (shown on the card). */
  readonly errors = new Map<string, string>();
  /** uid → command in flight. */
  readonly pending = new Map<string, string>();

  private ws: WebSocket | null = null;
  private listeners = new Set<() => void>();
  private nextId = 1;
  private acks = new Map<number, (ok: boolean, error?: string) => void>();
  private retryMs = 250;
  private scheduled = false;

  constructor(private readonly url: string) {}

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  connect(): void {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => {
      this.connected = true;
      this.lostAt = null;
      this.retryMs = 250;
      this.samples.clear();
      this.sendRaw({ type: "view", ...this.view });
      if (this.detailUid) this.sendRaw({ type: "detail", uid: this.detailUid });
      this.changed();
    };
    ws.onmessage = (ev) => {
      try {
        this.onMessage(JSON.parse(String(ev.data)) as ServerMsg);
      } catch (err) {
        console.error("dashboard: bad message", err);
      }
    };
    ws.onclose = () => {
      if (this.connected || this.page !== null) this.lostAt ??= Date.now();
      this.connected = false;
      this.ws = null;
      for (const done of this.acks.values()) done(false, "connection lost");
      this.acks.clear();
      this.changed();
      setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(5000, this.retryMs * 2);
    };
  }

  setView(v: Partial<View>): void {
    this.view = { ...this.view, ...v };
    this.sendRaw({ type: "view", ...this.view });
    this.changed();
  }

  openDetail(uid: string | null): void {
    this.detailUid = uid;
    this.detail = null;
    this.config = null;
    this.log = [];
    this.sendRaw({ type: "detail", uid });
    this.changed();
  }

  /** The data shown is no longer live (the simulator went away): the page shows it as stale. */
  get stale(): boolean {
    return !this.connected && this.page !== null;
  }

  /** The mobile app's switch, through the platform emulator. */
  async setSwitch(uid: string, on: boolean): Promise<void> {
    await this.command(uid, on ? "on" : "off", { type: "switch", uid, on });
  }

  async pressButton(uid: string): Promise<void> {
    await this.command(uid, "button", { type: "button", uid });
  }

  async setSpeed(value: number): Promise<void> {
    await this.request({ type: "speed", value });
  }

  private async command(uid: string, what: string, msg: ClientMsg): Promise<void> {
    this.pending.set(uid, what);
    this.errors.delete(uid);
    this.changed();
    try {
      await this.request(msg);
    } catch (err) {
      this.errors.set(uid, (err as Error).message);
    } finally {
      this.pending.delete(uid);
      this.changed();
    }
  }

  private request(msg: ClientMsg): Promise<void> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return reject(new Error("not connected"));
      this.acks.set(id, (ok, error) => (ok ? resolve() : reject(new Error(error ?? "failed"))));
      this.ws.send(JSON.stringify({ ...msg, id }));
    });
  }

  private sendRaw(msg: ClientMsg): void {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  private onMessage(m: ServerMsg): void {
    switch (m.type) {
      case "hello":
        this.hello = m;
        break;
      case "page":
        this.page = m;
        if (m.page !== this.view.page) this.view = { ...this.view, page: m.page };
        break;
      case "samples": {
        const cur = this.samples.get(m.uid);
        if (m.reset || !cur) {
          this.samples.set(m.uid, { data: m.samples, version: (cur?.version ?? 0) + 1 });
        } else {
          const d = cur.data;
          for (const k of ["t", "level", "trueLevel", "relay", "cmd", "temp"] as const) {
            (d[k] as (number | null)[]).push(...m.samples[k]);
            if (d[k].length > MAX_POINTS) d[k].splice(0, d[k].length - MAX_POINTS);
          }
          cur.version++;
        }
        break;
      }
      case "detail":
        if (m.uid !== this.detailUid) return;
        this.detail = m;
        if (m.config) this.config = m.config;
        break;
      case "log":
        if (m.uid !== this.detailUid) return;
        this.log = m.reset ? m.entries : this.log.concat(m.entries);
        if (this.log.length > MAX_LOG) this.log = this.log.slice(this.log.length - MAX_LOG);
        break;
      case "ack": {
        const done = this.acks.get(m.id);
        this.acks.delete(m.id);
        done?.(m.ok, m.error);
        break;
      }
    }
    this.changed();
  }

  private changed(): void {
    this.version++;
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      for (const fn of this.listeners) fn();
    });
  }
}

export type { DeviceSummary, Samples, LogEntry, StatusFilter };
