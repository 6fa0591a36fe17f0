/**
 * The dashboard server and model against a fake DashboardSource (no browser,
 * no broker): REST API, static files, WebSocket paging and filtering, chart
 * increments, the message log, refusal detection, port fallback.
 */
import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocket } from "ws";
import { request } from "node:http";
import { startDashboard, type Dashboard } from "../../sim/web/server.js";
import type { DashboardSource, SourceEvent, SourceSnapshot, SourcePlatformRecord } from "../../sim/web/source.js";
import type { PageMsg, SamplesMsg, ServerMsg, LogMsg, DetailMsg, AckMsg } from "../../sim/web/protocol.js";

class FakeSource implements DashboardSource {
  readonly brokerUrl = "mqtt://fake:1883";
  t = 0;
  speed = 60;
  readonly devs: { snap: SourceSnapshot; plat: SourcePlatformRecord; refusals: number; last: string }[] = [];
  readonly switches: [string, boolean][] = [];
  private listeners = new Set<(e: SourceEvent) => void>();
  private timers: { ms: number; fn: () => void; next: number }[] = [];

  constructor(n: number) {
    for (let i = 0; i < n; i++) {
      const uid = `dev-${String(i).padStart(3, "0")}`;
      this.devs.push({
        snap: {
          uid, name: `Tank ${i}`, timeMs: 0, levelPct: i, trueLevelPct: i, volumeL: i, capacityL: 100, temperatureC: 20,
          relayOn: i % 3 === 0, online: i % 5 !== 0, connState: i % 5 !== 0 ? "CONNECTED" : "BACKING_OFF", quality: i % 7 === 0 ? "NO_ECHO" : "OK",
          publishes: 0, relaySwitches: 0, traps: 0,
        },
        plat: { connected: true, lastSeenMs: 0, cmd: "off", level: String(i), temperature: "20", statesPublished: 0 },
        refusals: 0,
        last: "NONE",
      });
    }
  }

  private dev(uid: string) {
    const d = this.devs.find((x) => x.snap.uid === uid);
    if (!d) throw new Error(`no ${uid}`);
    return d;
  }
  now() { return this.t; }
  getSpeed() { return this.speed; }
  setSpeed(v: number) { this.speed = v; }
  uids() { return this.devs.map((d) => d.snap.uid); }
  snapshot(uid: string) { return { ...this.dev(uid).snap, timeMs: this.t }; }
  config(uid: string) { return { uid, key: "secret-key", auto: true, auto_start_pct: 30, auto_stop_pct: 90 }; }
  refusals(uid: string) { const d = this.dev(uid); return { count: d.refusals, last: d.last }; }
  platform(uid: string) { return { ...this.dev(uid).plat }; }
  subscribe(fn: (e: SourceEvent) => void) { this.listeners.add(fn); return () => { this.listeners.delete(fn); }; }
  every(ms: number, fn: () => void) {
    const t = { ms, fn, next: this.t + ms };
    this.timers.push(t);
    return () => { this.timers = this.timers.filter((x) => x !== t); };
  }
  async setSwitch(uid: string, on: boolean) {
    this.switches.push([uid, on]);
    const d = this.dev(uid);
    d.plat.cmd = on ? "on" : "off";
    this.emit({ kind: "platform-switch", uid, cmd: d.plat.cmd, source: "app", atMs: this.t });
    this.emit({ kind: "downlink", uid, topic: `state/${uid}`, payload: JSON.stringify({ uid, cmd: d.plat.cmd }), atMs: this.t, cause: "app" });
  }
  readonly presses: string[] = [];
  pressButton(uid: string) { this.presses.push(uid); }
  emit(e: SourceEvent) { for (const fn of this.listeners) fn(e); }
  /** Advances virtual time, firing timers. */
  advance(ms: number) {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.next <= end).sort((a, b) => a.next - b.next)[0];
      if (!due) break;
      this.t = due.next;
      due.next += due.ms;
      due.fn();
    }
    this.t = end;
  }
}

/** A WebSocket client that collects messages and waits for one matching a predicate. */
async function wsClient(url: string) {
  const ws = new WebSocket(url.replace("http", "ws") + "ws");
  const got: ServerMsg[] = [];
  const waiters: { pred: (m: ServerMsg) => boolean; resolve: (m: ServerMsg) => void }[] = [];
  let pos = 0; // messages before this were consumed by an earlier next()
  ws.on("message", (data) => {
    const m = JSON.parse(String(data)) as ServerMsg;
    got.push(m);
    for (const w of [...waiters]) if (w.pred(m)) { waiters.splice(waiters.indexOf(w), 1); pos = got.length; w.resolve(m); }
  });
  await new Promise<void>((resolve, reject) => { ws.once("open", () => resolve()); ws.once("error", reject); });
  return {
    ws,
    got,
    send: (m: unknown) => ws.send(JSON.stringify(m)),
    next<T extends ServerMsg>(pred: (m: ServerMsg) => boolean, timeoutMs = 3000): Promise<T> {
      for (let i = pos; i < got.length; i++) {
        if (pred(got[i]!)) {
          pos = i + 1;
          return Promise.resolve(got[i] as T);
        }
      }
      return new Promise<T>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error("timeout waiting for a message")), timeoutMs);
        waiters.push({ pred, resolve: (m) => { clearTimeout(t); resolve(m as T); } });
      });
    },
  };
}

const JSON_TYPE = { "content-type": "application/json" };
const open: Dashboard[] = [];
const sockets: WebSocket[] = [];
let staticDir: string | null = null;

afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  for (const d of open.splice(0)) await d.close();
  if (staticDir) rmSync(staticDir, { recursive: true, force: true });
  staticDir = null;
});

async function start(src: FakeSource, extra: Parameters<typeof startDashboard>[1] = {}): Promise<Dashboard> {
  staticDir ??= mkdtempSync(join(tmpdir(), "dash-static-"));
  writeFileSync(join(staticDir, "index.html"), "<!doctype html><title>t</title>");
  const d = await startDashboard(src, { port: 0, staticDir, pushEveryMs: 50, ...extra });
  open.push(d);
  return d;
}

describe("dashboard server (fake source)", () => {
  it("serves the page and the REST API; switches through the source; masks secrets", async () => {
    const src = new FakeSource(4);
    const d = await start(src);
    const page = await fetch(d.url);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect((await fetch(`${d.url}nope.js`)).status).toBe(404);
    expect((await fetch(`${d.url}..%2f..%2fetc%2fpasswd`)).status).toBeGreaterThanOrEqual(403);

    const list = (await (await fetch(`${d.url}api/devices`)).json()) as { devices: { uid: string; levelPct: number }[] };
    expect(list.devices.map((x) => x.uid)).toEqual(["dev-000", "dev-001", "dev-002", "dev-003"]);

    const sw = await fetch(`${d.url}api/devices/dev-002/switch`, { method: "POST", headers: JSON_TYPE, body: JSON.stringify({ on: true }) });
    expect(sw.status).toBe(200);
    expect(src.switches).toEqual([["dev-002", true]]);
    expect((await fetch(`${d.url}api/devices/dev-002/switch`, { method: "POST", headers: JSON_TYPE, body: "{}" })).status).toBe(400);
    expect((await fetch(`${d.url}api/devices/nobody`)).status).toBe(404);

    const one = (await (await fetch(`${d.url}api/devices/dev-002`)).json()) as { device: { platform: { cmd: string } }; config: Record<string, unknown>; log: { kind: string; text: string }[] };
    expect(one.device.platform.cmd).toBe("on");
    expect(one.config.key).toBe("•••");
    expect(one.log.map((e) => e.kind)).toEqual(["app", "downlink"]);

    await fetch(`${d.url}api/speed`, { method: "POST", headers: JSON_TYPE, body: JSON.stringify({ value: 600 }) });
    expect(src.speed).toBe(600);
    expect((await fetch(`${d.url}api/speed`, { method: "POST", headers: JSON_TYPE, body: JSON.stringify({ value: -1 }) })).status).toBe(400);
    expect((await fetch(`${d.url}api/speed`, { method: "POST", headers: JSON_TYPE, body: "{not json" })).status).toBe(400);
    expect(src.speed).toBe(600);
  });

  it("pages and filters on the server, pushes chart increments, the log and refusals", async () => {
    const src = new FakeSource(30);
    const d = await start(src, { sampleEveryMs: 1000 });
    const c = await wsClient(d.url);
    sockets.push(c.ws);
    const hello = await c.next((m) => m.type === "hello");
    expect(hello).toMatchObject({ devices: 30, brokerUrl: "mqtt://fake:1883" });

    c.send({ type: "view", filter: "", status: "all", page: 1, pageSize: 12 });
    const p1 = await c.next<PageMsg>((m) => m.type === "page" && m.page === 1 && m.pageSize === 12);
    expect(p1.total).toBe(30);
    expect(p1.devices.map((x) => x.uid)).toEqual(Array.from({ length: 12 }, (_, i) => `dev-${String(12 + i).padStart(3, "0")}`));
    expect(p1.counts).toEqual({ all: 30, online: 24, pumpOn: 10, refused: 0, badReading: 5 });

    c.send({ type: "view", filter: "", status: "pump-on", page: 0, pageSize: 4 });
    const p2 = await c.next<PageMsg>((m) => m.type === "page" && m.status === "pump-on");
    expect(p2.total).toBe(10);
    expect(p2.devices.every((x) => x.relayOn)).toBe(true);
    expect(p2.devices).toHaveLength(4);

    c.send({ type: "view", filter: "dev-02", status: "all", page: 5, pageSize: 4 });
    const p3 = await c.next<PageMsg>((m) => m.type === "page" && m.filter === "dev-02");
    expect(p3.total).toBe(10);
    expect(p3.page).toBe(2); // clamped to the last page
    expect(p3.devices.map((x) => x.uid)).toEqual(["dev-028", "dev-029"]);

    // charts: first a reset with the history, then increments as virtual time runs
    const first = await c.next<SamplesMsg>((m) => m.type === "samples" && m.uid === "dev-028");
    expect(first.reset).toBe(true);
    const n0 = first.samples.t.length;
    src.advance(5000);
    const inc = await c.next<SamplesMsg>((m) => m.type === "samples" && m.uid === "dev-028" && !m.reset);
    expect(inc.samples.t.length).toBeGreaterThanOrEqual(1);
    expect(n0 + inc.samples.t.length).toBe(6);
    expect(inc.samples.t.at(-1)).toBe(5);

    // the open device: its summary, config and log; a refusal appears in the log and the summary
    c.send({ type: "detail", uid: "dev-029" });
    const det = await c.next<DetailMsg>((m) => m.type === "detail" && m.uid === "dev-029" && m.config !== undefined);
    expect(det.device.refusals).toBe(0);
    await c.next<LogMsg>((m) => m.type === "log" && m.reset);
    c.send({ type: "switch", uid: "dev-029", on: true, id: 7 });
    const ack = await c.next<AckMsg>((m) => m.type === "ack" && m.id === 7);
    expect(ack.ok).toBe(true);
    expect(src.switches).toContainEqual(["dev-029", true]);
    const dev = src.devs[29]!;
    dev.refusals = 1;
    dev.last = "HIGH_LEVEL";
    src.emit({ kind: "uplink", uid: "dev-029", topic: "up", payload: '{"cmd":"off"}', atMs: src.t });
    const log = await c.next<LogMsg>((m) => m.type === "log" && m.entries.some((e) => e.kind === "refusal"));
    expect(log.entries.find((e) => e.kind === "refusal")!.text).toMatch(/HIGH_LEVEL/);
    const after = await c.next<DetailMsg>((m) => m.type === "detail" && m.device.refusals === 1);
    expect(after.device).toMatchObject({ lastRefusal: "HIGH_LEVEL", refusalActive: true });

    c.send({ type: "switch", uid: "nobody", on: true, id: 8 });
    const bad = await c.next<AckMsg>((m) => m.type === "ack" && m.id === 8);
    expect(bad).toMatchObject({ ok: false });
  });

  it("falls back to a free port when asked, fails otherwise", async () => {
    const a = await start(new FakeSource(1));
    const b = await start(new FakeSource(1), { port: a.port, fallbackToFreePort: true });
    expect(b.port).not.toBe(a.port);
    await expect(start(new FakeSource(1), { port: a.port })).rejects.toThrow(/EADDRINUSE/);
  });
});

/** A raw HTTP request with any Host/Origin/content-type (fetch cannot set Host). */
function raw(port: number, method: string, path: string, headers: Record<string, string>, body = ""): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers: { ...headers, "content-length": String(Buffer.byteLength(body)) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Opens a WebSocket with the given headers; resolves "open" or the HTTP status of the refusal. */
function wsVerdict(port: number, headers: Record<string, string>): Promise<"open" | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers });
    ws.once("open", () => { ws.terminate(); resolve("open"); });
    ws.once("unexpected-response", (_req, res) => { resolve(res.statusCode ?? 0); ws.terminate(); });
    ws.once("error", () => resolve(-1));
  });
}

describe("dashboard server: only its own page may change state (issue 13)", () => {
  const ACTIONS = [
    { path: "/api/devices/dev-001/switch", body: JSON.stringify({ on: true }) },
    { path: "/api/devices/dev-001/button", body: "{}" },
    { path: "/api/speed", body: JSON.stringify({ value: 1 }) },
  ];
  const untouched = (src: FakeSource) => {
    expect(src.switches).toEqual([]);
    expect(src.presses).toEqual([]);
    expect(src.speed).toBe(60);
  };

  it("refuses every POST whose Origin is foreign (403), whatever its content type, and changes nothing", async () => {
    const src = new FakeSource(2);
    const d = await start(src);
    const own = `127.0.0.1:${d.port}`;
    // [Origin, Host]: other sites, other ports and schemes of this host, opaque origins, DNS rebinding
    const foreign: [string, string][] = [
      ["http://evil.example", own],
      [`http://evil.example:${d.port}`, `evil.example:${d.port}`], // rebinding: Origin matches Host, Host names no known host
      ["null", own],
      [`http://127.0.0.1:${d.port + 1}`, own],
      [`https://127.0.0.1:${d.port}`, own],
      [`http://127.0.0.1:${d.port}.evil.example`, own],
      [`http://localhost:${d.port}`, own], // same machine, but not the origin the page was loaded from
      [`http://${own}/`, own],
    ];
    const types = ["application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"];
    for (const [origin, host] of foreign) {
      for (const a of ACTIONS) {
        for (const type of types) {
          const r = await raw(d.port, "POST", a.path, { origin, host, "content-type": type }, a.body);
          expect(r.status, `${origin} ${a.path} ${type}`).toBe(403);
          expect(JSON.parse(r.body).error).toMatch(/another web page/);
        }
      }
    }
    untouched(src);
  });

  it("refuses a POST that is not application/json (415), with the own Origin or none", async () => {
    const src = new FakeSource(2);
    const d = await start(src);
    const host = `127.0.0.1:${d.port}`;
    for (const origin of [`http://${host}`, undefined]) {
      for (const a of ACTIONS) {
        for (const type of ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", undefined]) {
          const headers: Record<string, string> = { host };
          if (origin) headers.origin = origin;
          if (type) headers["content-type"] = type;
          const r = await raw(d.port, "POST", a.path, headers, a.body);
          expect(r.status, `${origin} ${a.path} ${type}`).toBe(415);
          expect(JSON.parse(r.body).error).toMatch(/application\/json/);
        }
      }
    }
    untouched(src);
  });

  it("accepts JSON from its own origin (by IP, localhost or *.localhost) and from non-browser clients (no Origin)", async () => {
    const src = new FakeSource(2);
    const d = await start(src);
    const okCases: Record<string, string>[] = [
      { host: `127.0.0.1:${d.port}`, origin: `http://127.0.0.1:${d.port}` },
      { host: `localhost:${d.port}`, origin: `http://localhost:${d.port}` },
      { host: `tank.localhost:${d.port}`, origin: `http://tank.localhost:${d.port}` },
      { host: `127.0.0.1:${d.port}` },
    ];
    for (const h of okCases) {
      const r = await raw(d.port, "POST", "/api/devices/dev-001/switch", { ...h, "content-type": "application/json; charset=utf-8" }, JSON.stringify({ on: true }));
      expect(r.status, JSON.stringify(h)).toBe(200);
    }
    expect(src.switches).toHaveLength(okCases.length);
    // an origin named in allowedOrigins (e.g. behind a reverse proxy)
    const src2 = new FakeSource(1);
    const d2 = await start(src2, { allowedOrigins: ["http://tank-sim.lan"] });
    const r = await raw(d2.port, "POST", "/api/devices/dev-000/switch", { host: "tank-sim.lan", origin: "http://tank-sim.lan", "content-type": "application/json" }, JSON.stringify({ on: true }));
    expect(r.status).toBe(200);
  });

  it("refuses a WebSocket upgrade from a foreign origin (the socket can switch pumps)", async () => {
    const src = new FakeSource(1);
    const d = await start(src);
    const own = `127.0.0.1:${d.port}`;
    expect(await wsVerdict(d.port, { origin: `http://${own}` })).toBe("open");
    expect(await wsVerdict(d.port, {})).toBe("open");
    for (const [origin, host] of [["http://evil.example", own], ["null", own], [`http://evil.example:${d.port}`, `evil.example:${d.port}`], [`http://127.0.0.1:${d.port + 1}`, own]] as const) {
      expect(await wsVerdict(d.port, { origin, host }), origin).toBe(403);
    }
  });
});
