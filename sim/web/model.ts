/**
 * The dashboard's memory of a simulation: per device, the chart history
 * (sampled every `sampleEveryMs` of virtual time, plus a point at every relay
 * switch), the message log (uplink and downlink JSON, platform refusals,
 * relay switches, pump refusals, connection changes, app switches) and the
 * platform's authentication view. Summaries are computed on demand.
 */
import type { DashboardSource, SourceEvent } from "./source.js";
import { explainRefusal } from "./refusal.js";
import type { DeviceSummary, LogEntry, LogKind, Samples, StatusFilter } from "./protocol.js";

export interface ModelOptions {
  /** Virtual ms between chart samples (default 10 000). */
  sampleEveryMs?: number;
  /** Samples kept per device (default 1440). */
  maxSamples?: number;
  /** Log entries kept per device (default 300). */
  maxLog?: number;
}

interface DeviceMemory {
  uid: string;
  hist: Samples;
  /** Samples ever recorded (the cursor of the next one). */
  total: number;
  log: LogEntry[];
  nextSeq: number;
  refusals: number;
  lastRefusal: string;
  lastRefusalAtMs: number | null;
  lastRelayAtMs: number | null;
  accepted: number;
  rejected: number;
  authenticated: boolean | null;
  lastRejectReason: string | null;
}

function emptySamples(): Samples {
  return { t: [], level: [], trueLevel: [], relay: [], cmd: [], temp: [] };
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

export class DashboardModel {
  readonly sampleEveryMs: number;
  private readonly maxSamples: number;
  private readonly maxLog: number;
  private readonly mem = new Map<string, DeviceMemory>();
  private readonly unsubscribe: () => void;
  private readonly cancelSampler: () => void;

  constructor(readonly source: DashboardSource, o: ModelOptions = {}) {
    this.sampleEveryMs = o.sampleEveryMs ?? 10_000;
    this.maxSamples = o.maxSamples ?? 1440;
    this.maxLog = o.maxLog ?? 300;
    for (const uid of source.uids()) this.memory(uid);
    this.unsubscribe = source.subscribe((e) => this.onEvent(e));
    this.cancelSampler = source.every(this.sampleEveryMs, () => this.sampleAll());
    this.sampleAll();
  }

  close(): void {
    this.unsubscribe();
    this.cancelSampler();
  }

  uids(): readonly string[] {
    return this.source.uids();
  }

  has(uid: string): boolean {
    return this.source.uids().includes(uid);
  }

  summary(uid: string): DeviceSummary {
    const m = this.memory(uid);
    this.checkRefusals(m);
    const s = this.source.snapshot(uid);
    const cfg = this.source.config(uid);
    const p = this.source.platform(uid);
    const auto = cfg.auto === true || cfg.auto === "true";
    const why = m.lastRefusalAtMs !== null ? explainRefusal(m.lastRefusal, cfg, s.relayOn, m.lastRelayAtMs) : null;
    return {
      uid: s.uid,
      name: s.name,
      timeMs: s.timeMs,
      levelPct: s.levelPct,
      trueLevelPct: s.trueLevelPct,
      volumeL: s.volumeL,
      capacityL: s.capacityL,
      temperatureC: s.temperatureC,
      relayOn: s.relayOn,
      online: s.online,
      connState: s.connState,
      quality: s.quality,
      lastRefusal: m.lastRefusal,
      refusals: m.refusals,
      lastRefusalAtMs: m.lastRefusalAtMs,
      refusalActive: m.lastRefusalAtMs !== null && (m.lastRelayAtMs === null || m.lastRefusalAtMs >= m.lastRelayAtMs),
      refusalText: why?.text ?? null,
      refusalAllowedAtMs: why?.allowedAtMs ?? null,
      refusalAllowedWhen: why?.allowedWhen ?? null,
      autoStartPct: auto ? num(cfg.auto_start_pct) : null,
      autoStopPct: auto ? num(cfg.auto_stop_pct) : null,
      auto,
      publishes: s.publishes,
      relaySwitches: s.relaySwitches,
      traps: s.traps,
      platform: p
        ? {
            connected: p.connected,
            authenticated: m.authenticated,
            accepted: m.accepted,
            rejected: m.rejected,
            lastRejectReason: m.lastRejectReason,
            lastSeenMs: p.lastSeenMs,
            cmd: p.cmd,
            level: p.level,
            temperature: p.temperature,
            statesPublished: p.statesPublished,
          }
        : null,
    };
  }

  /** Whether a summary passes the grid's filter (text on uid/name, status). */
  static matches(s: DeviceSummary, filter: string, status: StatusFilter): boolean {
    const f = filter.trim().toLowerCase();
    if (f && !s.uid.toLowerCase().includes(f) && !s.name.toLowerCase().includes(f)) return false;
    switch (status) {
      case "online": return s.online;
      case "offline": return !s.online;
      case "pump-on": return s.relayOn;
      case "refused": return s.refusalActive;
      case "bad-reading": return s.quality !== "OK";
      default: return true;
    }
  }

  /** Samples recorded since `cursor` (a previous return's `cursor`; 0 = everything). */
  samplesSince(uid: string, cursor: number): { reset: boolean; samples: Samples; cursor: number } {
    const m = this.memory(uid);
    const first = m.total - m.hist.t.length;
    const reset = cursor <= first;
    const from = reset ? 0 : cursor - first;
    const h = m.hist;
    return {
      reset,
      cursor: m.total,
      samples: { t: h.t.slice(from), level: h.level.slice(from), trueLevel: h.trueLevel.slice(from), relay: h.relay.slice(from), cmd: h.cmd.slice(from), temp: h.temp.slice(from) },
    };
  }

  /** Log entries with seq > `afterSeq` (-1 = all kept). */
  logSince(uid: string, afterSeq: number): LogEntry[] {
    const log = this.memory(uid).log;
    let i = log.length;
    while (i > 0 && log[i - 1]!.seq > afterSeq) i--;
    return log.slice(i);
  }

  /** Records a chart point for every device now. */
  sampleAll(): void {
    for (const uid of this.source.uids()) this.sample(this.memory(uid));
  }

  // ---------------------------------------------------------------- internals

  private memory(uid: string): DeviceMemory {
    let m = this.mem.get(uid);
    if (!m) {
      m = {
        uid, hist: emptySamples(), total: 0, log: [], nextSeq: 0,
        refusals: 0, lastRefusal: "NONE", lastRefusalAtMs: null, lastRelayAtMs: null,
        accepted: 0, rejected: 0, authenticated: null, lastRejectReason: null,
      };
      this.mem.set(uid, m);
      // refusals already counted before the dashboard started are history, not news
      const r = this.source.refusals(uid);
      m.refusals = r.count;
      m.lastRefusal = r.last;
    }
    return m;
  }

  private sample(m: DeviceMemory): void {
    let s;
    try {
      s = this.source.snapshot(m.uid);
    } catch {
      return;
    }
    this.checkRefusals(m);
    const p = this.source.platform(m.uid);
    const h = m.hist;
    h.t.push(s.timeMs / 1000);
    h.level.push(s.levelPct);
    h.trueLevel.push(Math.round(s.trueLevelPct * 100) / 100);
    h.relay.push(s.relayOn ? 1 : 0);
    h.cmd.push(p?.cmd === "on" ? 1 : 0);
    h.temp.push(s.temperatureC === null ? null : Math.round(s.temperatureC * 10) / 10);
    m.total++;
    const over = h.t.length - this.maxSamples;
    if (over > this.maxSamples / 10) {
      for (const k of ["t", "level", "trueLevel", "relay", "cmd", "temp"] as const) h[k].splice(0, over);
    }
  }

  private checkRefusals(m: DeviceMemory): void {
    const r = this.source.refusals(m.uid);
    if (r.count > m.refusals) {
      const n = r.count - m.refusals;
      m.refusals = r.count;
      m.lastRefusal = r.last;
      m.lastRefusalAtMs = this.source.now();
      this.log(m, "refusal", `pump request refused by the pump rules: ${r.last}${n > 1 ? ` (${n} requests)` : ""}`);
    }
  }

  private log(m: DeviceMemory, kind: LogKind, text: string, topic?: string, atMs = this.source.now()): void {
    const e: LogEntry = { seq: m.nextSeq++, atMs, kind, text };
    if (topic !== undefined) e.topic = topic;
    m.log.push(e);
    if (m.log.length > this.maxLog + this.maxLog / 10) m.log.splice(0, m.log.length - this.maxLog);
  }

  private onEvent(e: SourceEvent): void {
    if (e.kind === "stopped") return;
    if (e.uid === null || !this.mem.has(e.uid)) return;
    const m = this.mem.get(e.uid)!;
    switch (e.kind) {
      case "uplink":
        this.log(m, "uplink", e.payload, e.topic, e.atMs);
        this.checkRefusals(m);
        break;
      case "downlink":
        this.log(m, "downlink", e.payload, e.topic, e.atMs);
        break;
      case "platform-in":
        if (e.accepted) {
          m.accepted++;
          m.authenticated = true;
        } else {
          m.rejected++;
          m.lastRejectReason = e.reason;
          if (e.reason === "wrong-key") m.authenticated = false;
          this.log(m, "rejected", `${e.reason}: ${e.payload}`, e.topic, e.atMs);
        }
        break;
      case "relay":
        m.lastRelayAtMs = e.atMs;
        this.log(m, "relay", `relay ${e.on ? "ON" : "OFF"}`, undefined, e.atMs);
        this.checkRefusals(m);
        this.sample(m); // the step is exact on the chart
        break;
      case "conn":
        this.log(m, "conn", `MQTT ${e.state.toLowerCase().replace(/_/g, " ")}${e.reason ? `: ${e.reason}` : ""}`, undefined, e.atMs);
        break;
      case "platform-switch":
        if (e.source === "app") this.log(m, "app", `mobile app: switch ${e.cmd.toUpperCase()}`, undefined, e.atMs);
        this.sample(m); // a refused request shows as a short spike of the app's switch state
        break;
    }
  }
}
