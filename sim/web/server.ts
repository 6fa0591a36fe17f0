/**
 * The simulator's web dashboard: a plain node:http server for the built page
 * (dist/dashboard, `npm run build:web`), a small REST API and a WebSocket
 * (/ws) that pushes live updates (see protocol.ts).
 *
 *   const dash = await startDashboard(sim, { port: 8080 });
 *   console.log(dash.url);
 *   ...
 *   await dash.close();
 *
 * REST (JSON):
 *   GET  /api/devices                      every device's summary
 *   GET  /api/devices/:uid                 summary, config, log and chart samples of one device
 *   POST /api/devices/:uid/switch {on}     the mobile app's on/off (through the platform emulator)
 *   POST /api/devices/:uid/button          presses the device's button
 *   POST /api/speed {value}                virtual ms per real ms
 *
 * Every POST and the WebSocket upgrade are refused (403) when they come from
 * another web page's origin, and every POST must be application/json (415):
 * see origin.ts.
 */
import { performance } from "node:perf_hooks";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { WebSocketServer, WebSocket } from "ws";
import type { Simulation } from "../simulation.js";
import { packagePath } from "../paths.js";
import { simulationSource, type DashboardSource } from "./source.js";
import { DashboardModel, type ModelOptions } from "./model.js";
import { checkJsonBody, checkOrigin, type OriginPolicy } from "./origin.js";
import type { ClientMsg, DeviceSummary, PageMsg, ServerMsg, StatusFilter } from "./protocol.js";

export interface DashboardOptions extends ModelOptions, OriginPolicy {
  /** TCP port (default 0 = any free port). */
  port?: number;
  /** When `port` is taken, listen on any free port instead of failing (default false). */
  fallbackToFreePort?: boolean;
  /** Interface (default 127.0.0.1). */
  host?: string;
  /** Directory of the built page (default dist/dashboard of the package). */
  staticDir?: string;
  /** Real ms between pushes (default 250). */
  pushEveryMs?: number;
}

export interface Dashboard {
  /** http://host:port/ */
  readonly url: string;
  readonly port: number;
  readonly model: DashboardModel;
  close(): Promise<void>;
}

export const DEFAULT_STATIC_DIR = packagePath("dist", "dashboard");
/** The port the CLI asks for first (then any free one). */
export const DEFAULT_DASHBOARD_PORT = 8080;

const STATUS: readonly StatusFilter[] = ["all", "online", "offline", "pump-on", "refused", "bad-reading"];
const MAX_PAGE_SIZE = 200;
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".map": "application/json",
  ".json": "application/json",
};

interface Client {
  ws: WebSocket;
  filter: string;
  status: StatusFilter;
  page: number;
  pageSize: number;
  detail: string | null;
  detailFresh: boolean;
  logSeq: number;
  /** Chart cursor per device the client currently shows. */
  cursors: Map<string, number>;
}

function isSource(x: Simulation | DashboardSource): x is DashboardSource {
  return typeof (x as DashboardSource).subscribe === "function" && typeof (x as DashboardSource).refusals === "function";
}

function maskConfig(cfg: Record<string, string | number | boolean>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(cfg)) out[k] = /password|key$|secret/i.test(k) && k !== "uid" ? "•••" : v;
  return out;
}

/** Starts the dashboard on a started Simulation (or any DashboardSource). */
export async function startDashboard(sim: Simulation | DashboardSource, o: DashboardOptions = {}): Promise<Dashboard> {
  const ownSource = !isSource(sim);
  const source = isSource(sim) ? sim : simulationSource(sim);
  const model = new DashboardModel(source, o);
  const staticDir = o.staticDir ?? DEFAULT_STATIC_DIR;
  const clients = new Set<Client>();

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, err instanceof BadRequest ? 400 : 500, { error: (err as Error).message });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = decodeURIComponent(url.pathname);
    if (req.method !== "GET" && req.method !== "HEAD") {
      // state-changing: only the dashboard's own page (or a non-browser client), only JSON
      const v = checkOrigin(req, o);
      if (!v.ok) return sendJson(res, v.status, { error: v.error });
      if (req.method === "POST") {
        const j = checkJsonBody(req);
        if (!j.ok) return sendJson(res, j.status, { error: j.error });
      }
    }
    if (path.startsWith("/api/")) return api(req, res, path);
    if (req.method !== "GET" && req.method !== "HEAD") return sendJson(res, 405, { error: "method not allowed" });
    return serveStatic(res, path === "/" ? "/index.html" : path);
  }

  async function api(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const parts = path.split("/").filter(Boolean); // api, devices, uid, action
    if (parts[1] === "devices" && parts.length === 2 && req.method === "GET") {
      return sendJson(res, 200, { nowMs: source.now(), devices: model.uids().map((u) => model.summary(u)) });
    }
    if (parts[1] === "speed" && parts.length === 2 && req.method === "POST") {
      const body = await readBody(req);
      setSpeed(Number((body as { value?: unknown }).value));
      return sendJson(res, 200, { ok: true, speed: source.getSpeed() });
    }
    if (parts[1] === "devices" && parts[2] !== undefined) {
      const uid = parts[2];
      if (!model.has(uid)) return sendJson(res, 404, { error: `no device ${uid}` });
      if (parts.length === 3 && req.method === "GET") {
        return sendJson(res, 200, {
          device: model.summary(uid),
          config: maskConfig(source.config(uid)),
          log: model.logSince(uid, -1),
          samples: model.samplesSince(uid, 0).samples,
        });
      }
      if (parts.length === 4 && parts[3] === "switch" && req.method === "POST") {
        const body = (await readBody(req)) as { on?: unknown };
        if (typeof body.on !== "boolean") return sendJson(res, 400, { error: 'body must be {"on": true|false}' });
        await source.setSwitch(uid, body.on);
        return sendJson(res, 200, { ok: true, device: model.summary(uid) });
      }
      if (parts.length === 4 && parts[3] === "button" && req.method === "POST") {
        source.pressButton(uid);
        return sendJson(res, 200, { ok: true });
      }
    }
    return sendJson(res, 404, { error: "not found" });
  }

  async function serveStatic(res: ServerResponse, path: string): Promise<void> {
    const file = normalize(join(staticDir, path));
    if (!file.startsWith(normalize(staticDir) + sep)) return sendJson(res, 403, { error: "forbidden" });
    try {
      const st = await stat(file);
      if (!st.isFile()) throw new Error("not a file");
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-cache" });
      res.end(body);
    } catch {
      if (path === "/index.html") {
        res.writeHead(503, { "content-type": "text/plain; charset=utf-8" });
        res.end(`The dashboard page is not built (${staticDir} is missing): run \`npm run build:web\`.\n`);
        return;
      }
      sendJson(res, 404, { error: "not found" });
    }
  }

  function setSpeed(v: number): void {
    if (!source.setSpeed) throw new BadRequest("this simulation's speed cannot be changed");
    if (!(v > 0)) throw new BadRequest(`speed must be > 0, got ${v}`);
    source.setSpeed(v);
  }

  // ------------------------------------------------------------ websocket

  // The socket can switch pumps: a foreign page's upgrade is refused like a foreign POST.
  const wss = new WebSocketServer({
    server,
    path: "/ws",
    maxPayload: 64 * 1024,
    verifyClient: (info, done) => {
      const v = checkOrigin(info.req, o);
      if (v.ok) done(true);
      else done(false, v.status, v.error);
    },
  });
  wss.on("error", () => {}); // the http server's errors (listen) are handled below
  wss.on("connection", (ws) => {
    const c: Client = { ws, filter: "", status: "all", page: 0, pageSize: 12, detail: null, detailFresh: false, logSeq: -1, cursors: new Map() };
    clients.add(c);
    send(c, { type: "hello", version: 1, devices: model.uids().length, speed: source.getSpeed(), brokerUrl: source.brokerUrl, sampleEveryMs: model.sampleEveryMs, nowMs: source.now() });
    ws.on("message", (data) => {
      let msg: ClientMsg;
      try {
        msg = JSON.parse(String(data)) as ClientMsg;
      } catch {
        return;
      }
      void onClientMessage(c, msg);
    });
    ws.on("close", () => clients.delete(c));
    ws.on("error", () => clients.delete(c));
    push([c]);
  });

  async function onClientMessage(c: Client, msg: ClientMsg): Promise<void> {
    const id = "id" in msg && typeof msg.id === "number" ? msg.id : null;
    try {
      switch (msg.type) {
        case "view":
          c.filter = typeof msg.filter === "string" ? msg.filter.slice(0, 100) : "";
          c.status = STATUS.includes(msg.status) ? msg.status : "all";
          c.page = Math.max(0, Math.floor(Number(msg.page) || 0));
          c.pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(Number(msg.pageSize) || 12)));
          push([c]);
          break;
        case "detail":
          c.detail = typeof msg.uid === "string" && model.has(msg.uid) ? msg.uid : null;
          c.detailFresh = true;
          c.logSeq = -1;
          push([c]);
          break;
        case "switch":
          if (!model.has(msg.uid)) throw new Error(`no device ${msg.uid}`);
          await source.setSwitch(msg.uid, msg.on === true);
          push([c]);
          break;
        case "button":
          if (!model.has(msg.uid)) throw new Error(`no device ${msg.uid}`);
          source.pressButton(msg.uid);
          break;
        case "speed":
          setSpeed(Number(msg.value));
          break;
        default:
          throw new Error("unknown message");
      }
      if (id !== null) send(c, { type: "ack", id, ok: true });
    } catch (err) {
      if (id !== null) send(c, { type: "ack", id, ok: false, error: (err as Error).message });
    }
  }

  function send(c: Client, msg: ServerMsg): void {
    if (c.ws.readyState === WebSocket.OPEN) c.ws.send(JSON.stringify(msg));
  }

  /** Sends every client (or `only`) its page, chart increments, open device and log increments. */
  function push(only?: Iterable<Client>): void {
    const targets = only ? [...only] : [...clients];
    if (targets.length === 0) return;
    const all: DeviceSummary[] = model.uids().map((u) => model.summary(u));
    const counts = {
      all: all.length,
      online: all.filter((s) => s.online).length,
      pumpOn: all.filter((s) => s.relayOn).length,
      refused: all.filter((s) => s.refusalActive).length,
      badReading: all.filter((s) => s.quality !== "OK").length,
    };
    const byUid = new Map(all.map((s) => [s.uid, s]));
    for (const c of targets) {
      if (c.ws.readyState !== WebSocket.OPEN) continue;
      const matching = all.filter((s) => DashboardModel.matches(s, c.filter, c.status));
      const pages = Math.max(1, Math.ceil(matching.length / c.pageSize));
      if (c.page >= pages) c.page = pages - 1;
      const devices = matching.slice(c.page * c.pageSize, (c.page + 1) * c.pageSize);
      const page: PageMsg = {
        type: "page", nowMs: source.now(), speed: source.getSpeed(), achievedSpeed: achieved(), brokerUp: source.brokerUp?.() ?? null, filter: c.filter, status: c.status,
        page: c.page, pageSize: c.pageSize, total: matching.length, counts, devices,
      };
      send(c, page);
      // charts: the page's devices and the open one
      const shown = new Set(devices.map((d) => d.uid));
      if (c.detail) shown.add(c.detail);
      for (const uid of [...c.cursors.keys()]) if (!shown.has(uid)) c.cursors.delete(uid);
      if (c.ws.bufferedAmount < 4 * 1024 * 1024) {
        for (const uid of shown) {
          const r = model.samplesSince(uid, c.cursors.get(uid) ?? 0);
          if (r.samples.t.length > 0 || r.reset) send(c, { type: "samples", uid, reset: r.reset, samples: r.samples });
          c.cursors.set(uid, r.cursor);
        }
      }
      if (c.detail) {
        const device = byUid.get(c.detail);
        if (device) {
          if (c.detailFresh) send(c, { type: "detail", uid: c.detail, device, config: maskConfig(source.config(c.detail)) });
          else send(c, { type: "detail", uid: c.detail, device });
          const entries = model.logSince(c.detail, c.logSeq);
          if (entries.length > 0 || c.detailFresh) send(c, { type: "log", uid: c.detail, reset: c.detailFresh, entries });
          if (entries.length > 0) c.logSeq = entries[entries.length - 1]!.seq;
          c.detailFresh = false;
        }
      }
    }
  }

  // The achieved speed: virtual time gained over the last ~3 s of real time.
  const marks: { real: number; virtual: number }[] = [];
  function achieved(): number | null {
    const a = marks[0];
    const b = marks[marks.length - 1];
    if (!a || !b || b.real - a.real < 500) return null;
    return Math.round(((b.virtual - a.virtual) / (b.real - a.real)) * 10) / 10;
  }
  const timer = setInterval(() => {
    marks.push({ real: performance.now(), virtual: source.now() });
    while (marks.length > 2 && marks[marks.length - 1]!.real - marks[0]!.real > 3000) marks.shift();
    try {
      push();
    } catch {
      // a device vanished mid-push; the next push catches up
    }
  }, o.pushEveryMs ?? 250);
  timer.unref();

  const listen = (port: number): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, o.host ?? "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  try {
    await listen(o.port ?? 0);
  } catch (err) {
    if (!(o.fallbackToFreePort && (err as NodeJS.ErrnoException).code === "EADDRINUSE")) {
      clearInterval(timer);
      model.close();
      if (ownSource) source.close?.();
      throw err;
    }
    await listen(0);
  }
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  const host = o.host ?? "127.0.0.1";
  const shownHost = host === "0.0.0.0" || host === "::" ? "localhost" : host.includes(":") ? `[${host}]` : host;

  return {
    url: `http://${shownHost}:${port}/`,
    port,
    model,
    async close() {
      clearInterval(timer);
      model.close();
      if (ownSource) source.close?.();
      for (const c of clients) c.ws.terminate();
      clients.clear();
      await new Promise<void>((r) => wss.close(() => r()));
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

class BadRequest extends Error {}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-cache" });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new BadRequest("body too large");
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (!text.trim()) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BadRequest("body is not JSON");
  }
}
