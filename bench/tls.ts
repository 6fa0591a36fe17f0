/**
 * What TLS costs (docs/ABI.md "TLS"), against a mosquitto with a TLS listener
 * and a throw-away PKI (test/harness), on loopback:
 *
 * - Node host (`SocketTable`, node:tls): handshake time (TCP up → TLS up),
 *   bytes on the wire for the handshake and per MQTT PUBLISH compared with
 *   the same session in clear, memory per open connection (TLS vs clear).
 * - posix host (mbed TLS from Debian): handshake time and heap per connection
 *   as the host logs them ("tls: up (…) in N ms, M bytes of heap"); the code
 *   TLS adds to the binary (mbed TLS linked statically + sockets_tls_mbedtls.o).
 * - ESP32: an ESTIMATE, not a measurement: the posix heap figure with
 *   ESP-IDF's documented default output buffer (CONFIG_MBEDTLS_SSL_OUT_CONTENT_LEN
 *   4096 instead of mbed TLS's 16384; the input buffer is 16384 in both).
 */
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import mqttPacket from "mqtt-packet";
import { Mosquitto } from "../test/harness/mosquitto.js";
import { SocketTable, SOCK_TLS, SOCK_CONNECTED } from "../sim/host/sockets.js";
import { packagePath } from "../sim/paths.js";
import { mustSh, round } from "./util.js";

export interface TlsResult {
  node: {
    tlsVersion: string;
    handshakeMs: { p50: number; p90: number; samples: number };
    tcpConnectMs: { p50: number };
    handshakeBytes: { written: number; read: number };
    publishes: number;
    publishBytes: number;
    extraBytesPerPublish: number;
    connections: number;
    perConnection: { tlsKiB: number; plainKiB: number; extraKiB: number };
  };
  posix: {
    tlsVersion: string;
    handshakeMs: { p50: number; samples: number };
    heapBytesPerConnection: number;
    codeBytes: { mbedtlsStatic: number; glue: number; total: number };
  } | null;
  esp32Estimate: { heapBytesPerConnection: number; basis: string };
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

const READING = JSON.stringify({ uid: "bench-tank-0001", key: "k".repeat(40), name: "Tank", type: "Water Level", level: "42.5", level_unit: "%", temperature: "20.3", temperature_unit: "C", cmd: "" });

/** One MQTT session over `table`: CONNECT, CONNACK, `n` QoS 0 PUBLISHes, DISCONNECT. Wire bytes at TLS up and at the end. */
async function session(table: SocketTable, waits: Map<number, () => void>, port: number, tls: boolean, n: number, broker: { user: string; password: string }) {
  const h = table.connect("localhost", tls ? port | SOCK_TLS : port);
  const until = (cond: () => boolean) => new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`bench tls: timeout (status ${table.status(h)})`)), 10_000);
    const check = () => { if (cond()) { clearTimeout(t); waits.delete(h); resolve(); } else if (table.status(h) < 0) { clearTimeout(t); reject(new Error(`bench tls: socket status ${table.status(h)}`)); } };
    waits.set(h, check);
    check();
  });
  await until(() => table.status(h) === SOCK_CONNECTED);
  const atUp = table.wire(h)!;
  const timing = table.timing(h)!;
  const send = (p: mqttPacket.Packet) => table.send(h, mqttPacket.generate(p));
  send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, keepalive: 60, clientId: `bench-tls-${process.pid}-${h}`, username: broker.user, password: Buffer.from(broker.password) } as mqttPacket.IConnectPacket);
  const buf = new Uint8Array(64);
  let got = 0;
  await until(() => { const r = table.recv(h, buf, 64); if (r > 0) got += r; return got >= 4; });
  for (let i = 0; i < n; i++) send({ cmd: "publish", topic: "iotbind/tank/bench-tls", payload: Buffer.from(READING), qos: 0, retain: false, dup: false } as mqttPacket.IPublishPacket);
  send({ cmd: "disconnect" } as mqttPacket.IDisconnectPacket);
  await new Promise((r) => setTimeout(r, 100));
  const end = table.wire(h)!;
  table.close(h);
  return { atUp, end, handshakeMs: timing.secureAt - timing.tcpAt, tcpMs: timing.tcpAt - timing.startedAt };
}

function memNow(): number {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return m.rss;
}

async function measureNode(m: Mosquitto, samples: number, conns: number): Promise<TlsResult["node"]> {
  const info = m.info;
  const t = info.tls!;
  const waits = new Map<number, () => void>();
  const wake = (h: number) => waits.get(h)?.();
  const table = new SocketTable({ onData: wake, onState: wake }, { ca: readFileSync(t.caFile) });
  const hs: number[] = [];
  const tcp: number[] = [];
  const publishes = 10;
  let tlsRun = await session(table, waits, t.port, true, publishes, info);
  for (let i = 0; i < samples; i++) {
    const s = await session(table, waits, t.port, true, publishes, info);
    hs.push(s.handshakeMs);
    tcp.push(s.tcpMs);
    tlsRun = s;
  }
  const plain = await session(table, waits, info.port, false, publishes, info);
  // Client → server only: the server's post-handshake messages (TLS 1.3 session tickets) are not per-message cost.
  const tlsTotal = tlsRun.end.written - tlsRun.atUp.written;
  const plainTotal = plain.end.written;
  const publishBytes = mqttPacket.generate({ cmd: "publish", topic: "iotbind/tank/bench-tls", payload: Buffer.from(READING), qos: 0, retain: false, dup: false } as mqttPacket.IPublishPacket).length;

  // Memory per open connection: `conns` sessions left open, TLS then clear, RSS growth / conns.
  const open = async (tls: boolean): Promise<number> => {
    const before = memNow();
    const hs2: number[] = [];
    for (let i = 0; i < conns; i++) {
      const h = table.connect("localhost", tls ? t.port | SOCK_TLS : info.port);
      hs2.push(h);
    }
    const deadline = Date.now() + 20_000;
    while (hs2.some((h) => table.status(h) !== SOCK_CONNECTED) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const after = memNow();
    for (const h of hs2) table.close(h);
    await new Promise((r) => setTimeout(r, 300));
    return (after - before) / conns;
  };
  await open(true); // warm-up (code paths, OpenSSL tables)
  const tlsPer = await open(true);
  const plainPer = await open(false);

  let version = "?";
  {
    const { connect } = await import("node:tls");
    version = await new Promise<string>((resolve) => {
      const s = connect({ host: "localhost", port: t.port, ca: readFileSync(t.caFile), servername: "localhost" }, () => { resolve(s.getProtocol() ?? "?"); s.destroy(); });
      s.on("error", () => resolve("?"));
    });
  }
  return {
    tlsVersion: version,
    handshakeMs: { p50: round(pct(hs, 50), 1), p90: round(pct(hs, 90), 1), samples: hs.length },
    tcpConnectMs: { p50: round(pct(tcp, 50), 2) },
    handshakeBytes: { written: tlsRun.atUp.written, read: tlsRun.atUp.read },
    publishes,
    publishBytes,
    extraBytesPerPublish: round((tlsTotal - plainTotal) / (publishes + 2), 1), // CONNECT, the PUBLISHes and DISCONNECT: one record each
    connections: conns,
    perConnection: { tlsKiB: round(tlsPer / 1024, 1), plainKiB: round(plainPer / 1024, 1), extraKiB: round((tlsPer - plainPer) / 1024, 1) },
  };
}

/** Runs the posix host over TLS `runs` times; parses its "tls: up" line. */
async function measurePosix(m: Mosquitto, runs: number): Promise<TlsResult["posix"]> {
  // Its own build of the posix host (boards/Makefile), so it never races another build.
  const outDir = packagePath("build", "bench", "tls-host");
  mustSh("make", ["-s", "-C", packagePath("boards"), "wasm2c", `OUT=${outDir}`]);
  const bin = join(outDir, "iotbind-tank-host");
  const info = m.info;
  const t = info.tls!;
  const dir = mkdtempSync(join(tmpdir(), "iotbind-bench-tls-"));
  const cfg = join(dir, "c.json");
  writeFileSync(cfg, JSON.stringify({
    uid: "bench-tls", key: "k", broker_host: "localhost", broker_port: t.port, broker_tls: true, broker_user: info.user, broker_password: info.password,
    uplink_topic: "iotbind/tank/bench-tls-posix", downlink_topic: "iotbind/tank/bench-tls-posix/state",
    sensor: "hc-sr04", trig_pin: 5, echo_pin: 18, relay_pin: 23, empty_distance_mm: 1200, full_distance_mm: 200, temperature: "fixed", temperature_c: 20,
  }));
  const ms: number[] = [];
  const heap: number[] = [];
  let version = "?";
  for (let i = 0; i < runs; i++) {
    const line = await new Promise<string>((resolve, reject) => {
      const p = spawn(bin, ["--ca", t.caFile, cfg], { stdio: ["ignore", "ignore", "pipe"] });
      let err = "";
      const timer = setTimeout(() => { p.kill("SIGKILL"); reject(new Error(`posix host: no "tls: up" line: ${err.slice(-500)}`)); }, 15_000);
      p.stderr.on("data", (d: Buffer) => {
        err += d.toString();
        const l = err.split("\n").find((x) => x.includes("tls: up"));
        if (l) { clearTimeout(timer); p.kill("SIGTERM"); resolve(l); }
      });
    });
    const mm = /tls: up \(([^,]+), [^)]*\) in (\d+) ms, (\d+) bytes of heap/.exec(line);
    if (!mm) throw new Error(`posix host: unexpected line ${line}`);
    version = mm[1]!;
    ms.push(Number(mm[2]));
    heap.push(Number(mm[3]));
  }
  // Code TLS adds: the glue object, and mbed TLS as a static link would pull it in.
  const obj = join(outDir, "obj");
  const objs: string[] = [];
  // the wasm2c host's objects only (an OUT built with `make all` also holds the WAMR and wasm3 adapters)
  const walk = (d: string) => { for (const f of readdirSync(d)) { const p = join(d, f); if (statSync(p).isDirectory()) walk(p); else if (f.endsWith(".o") && !/^runtime_(wamr|wasm3)\.o$/.test(f)) objs.push(p); } };
  walk(obj);
  const text = (f: string) => Number(mustSh("size", ["-A", f]).split("\n").filter((l) => /^\.(text|rodata|data)\s/.test(l)).reduce((s, l) => s + Number(l.split(/\s+/)[1]), 0));
  const staticBin = join(dir, "host-static-tls");
  mustSh("cc", ["-o", staticBin, ...objs, "-Wl,-Bstatic", "-lmbedtls", "-lmbedx509", "-lmbedcrypto", "-Wl,-Bdynamic", "-lm"]);
  const glue = text(join(obj, "host", "sockets_tls_mbedtls.o"));
  const mbedtlsStatic = text(staticBin) - text(bin);
  return {
    tlsVersion: version,
    handshakeMs: { p50: pct(ms, 50), samples: ms.length },
    heapBytesPerConnection: pct(heap, 50),
    codeBytes: { mbedtlsStatic, glue, total: mbedtlsStatic + glue },
  };
}

/** Node host always; posix host when it builds (it needs wasm2c, cc and libmbedtls-dev, as `npm test` does). */
export async function measureTls(o: { smoke: boolean; log: (s: string) => void }): Promise<TlsResult> {
  const m = await Mosquitto.start({ tls: true });
  try {
    const node = await measureNode(m, o.smoke ? 5 : 30, o.smoke ? 10 : 100);
    o.log(`tls: node handshake p50 ${node.handshakeMs.p50} ms`);
    const posix = await measurePosix(m, o.smoke ? 1 : 5);
    const outDiff = 16384 - 4096;
    return {
      node,
      posix,
      esp32Estimate: {
        heapBytesPerConnection: posix ? posix.heapBytesPerConnection - outDiff : 0,
        basis: "ESTIMATE from documented defaults, not measured: the posix heap per connection (mbed TLS 2.28, 16 KiB in + 16 KiB out record buffers) minus 12 KiB for ESP-IDF's default CONFIG_MBEDTLS_SSL_OUT_CONTENT_LEN = 4096 (CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN stays 16384); the handshake's transient peak (certificate chain parse, ECDHE) comes on top",
      },
    };
  } finally {
    await m.stop();
  }
}
