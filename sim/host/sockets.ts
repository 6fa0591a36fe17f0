/**
 * Non-blocking sockets for the firmware's `sock_*` imports (docs/ABI.md),
 * over real `net.Socket`s. Bytes received are queued; `recv` copies what is
 * queued (0 when nothing, negative once the peer closed or an error occurred
 * and the queue is drained). `send` accepts everything while the socket is
 * writable and lets Node buffer it.
 *
 * TLS (docs/ABI.md "TLS"): a connect whose port carries SOCK_TLS is wrapped
 * in `node:tls` once TCP is up. The certificate chain is always verified
 * (Node's trusted roots, or `TlsOptions.ca`) and so is the host name; the
 * firmware sees SOCK_HANDSHAKING while the handshake runs and a named
 * negative status when it fails. The firmware owns the timeout.
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
import { Socket, isIP } from "node:net";
import { connect as tlsConnect, checkServerIdentity, type TLSSocket, type PeerCertificate } from "node:tls";

export const SOCK_CONNECTING = 0;
export const SOCK_CONNECTED = 1;
export const SOCK_HANDSHAKING = 2;
export const SOCK_ERR = -1;
export const SOCK_CLOSED = -2;
export const SOCK_TLS_UNTRUSTED = -3;
export const SOCK_TLS_NAME_MISMATCH = -4;
export const SOCK_TLS_FAILED = -5;
/** `sock_connect` port flag: terminate TLS (the port is the low 16 bits). */
export const SOCK_TLS = 0x10000;

/** Host-side TLS settings (never seen by the firmware). */
export interface TlsOptions {
  /** Trusted CA certificate(s), PEM. Default: Node's built-in trusted roots. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Pin: the server certificate's SHA-256 fingerprint (hex, colons optional). Checked in addition to the chain and name. */
  fingerprint256?: string;
}

/** OpenSSL verify codes meaning "the chain does not lead to a trusted root" (or is not valid now). */
const UNTRUSTED_CODES = new Set([
  "UNABLE_TO_GET_ISSUER_CERT", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "DEPTH_ZERO_SELF_SIGNED_CERT", "SELF_SIGNED_CERT_IN_CHAIN", "CERT_SIGNATURE_FAILURE", "CERT_NOT_YET_VALID",
  "CERT_HAS_EXPIRED", "CERT_REVOKED", "CERT_UNTRUSTED", "CERT_REJECTED", "INVALID_CA", "PATH_LENGTH_EXCEEDED",
  "INVALID_PURPOSE", "ERR_TLS_CERT_PIN",
]);

/** sock_status code for a TLS handshake error. */
export function tlsFailureStatus(err: NodeJS.ErrnoException): number {
  const code = err.code ?? "";
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") return SOCK_TLS_NAME_MISMATCH;
  if (UNTRUSTED_CODES.has(code)) return SOCK_TLS_UNTRUSTED;
  return SOCK_TLS_FAILED;
}

function normalizeFingerprint(fp: string): string {
  return fp.replace(/[^0-9a-fA-F]/g, "").toUpperCase();
}

interface Entry {
  socket: Socket | TLSSocket;
  /** The TCP socket underneath (the same as `socket` in clear text). */
  tcp: Socket;
  state: number;
  queue: Buffer[];
  queued: number;
  /** Date.now() at connect, TCP up and TLS up (0 until then), for measurements. */
  startedAt: number;
  tcpAt: number;
  secureAt: number;
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

  /** TLS settings for connects that ask for TLS. */
  tls: TlsOptions = {};

  constructor(private readonly events: SocketEvents = {}, tls: TlsOptions = {}) {
    this.tls = tls;
  }

  /** `port` is 1..65535, optionally `| SOCK_TLS`; anything else is refused (SOCK_ERR). */
  connect(host: string, port: number): number {
    const tcpPort = port & 0xffff;
    const wantTls = (port & SOCK_TLS) !== 0;
    if (!host || tcpPort < 1 || (port & ~(0xffff | SOCK_TLS)) !== 0) return SOCK_ERR;
    const target = this.connectOverride ? this.connectOverride(host, tcpPort) : { host, port: tcpPort };
    const handle = this.nextHandle++;
    const tcp = new Socket();
    const entry: Entry = { socket: tcp, tcp, state: SOCK_CONNECTING, queue: [], queued: 0, startedAt: Date.now(), tcpAt: 0, secureAt: 0, out: [], gate: null };
    this.entries.set(handle, entry);
    tcp.setNoDelay(true);
    const gate = connectGate.enter(() => tcp.connect(target.port, target.host));
    entry.gate = gate;
    // The gate's slot is the TCP handshake: freed once TCP is up, or failed, or closed.
    tcp.once("connect", gate.release);
    tcp.once("error", gate.release);
    tcp.once("close", gate.release);
    tcp.once("connect", () => {
      entry.tcpAt = Date.now();
      if (entry.state !== SOCK_CONNECTING) return;
      if (!wantTls) {
        entry.state = SOCK_CONNECTED;
      } else {
        entry.state = SOCK_HANDSHAKING;
        entry.socket = this.startTls(handle, entry, tcp, host);
      }
      this.events.onState?.(handle, entry.state);
    });
    if (!wantTls) this.attach(handle, entry, tcp, true);
    else {
      // Until the TLS socket takes over, only TCP errors and closes matter.
      tcp.on("error", () => this.setState(handle, entry, SOCK_ERR));
      tcp.on("close", () => { if (entry.state === SOCK_CONNECTING) this.setState(handle, entry, SOCK_CLOSED); });
    }
    return handle;
  }

  /** Wraps a connected TCP socket in TLS for `host` (the name the firmware asked for, not a test proxy's). */
  private startTls(handle: number, entry: Entry, tcp: Socket, host: string): TLSSocket {
    const pin = this.tls.fingerprint256 ? normalizeFingerprint(this.tls.fingerprint256) : "";
    const tls = tlsConnect({
      socket: tcp,
      host,
      servername: isIP(host) ? undefined : host,
      ca: this.tls.ca,
      rejectUnauthorized: true,
      checkServerIdentity: (name: string, cert: PeerCertificate): Error | undefined => {
        const err = checkServerIdentity(name, cert);
        if (err) return err;
        if (pin && normalizeFingerprint(cert.fingerprint256) !== pin) {
          return Object.assign(new Error(`certificate fingerprint ${cert.fingerprint256} is not the pinned one`), { code: "ERR_TLS_CERT_PIN" });
        }
        return undefined;
      },
    });
    tls.once("secureConnect", () => {
      entry.secureAt = Date.now();
      if (entry.state === SOCK_HANDSHAKING) this.setState(handle, entry, SOCK_CONNECTED);
    });
    tls.on("error", (err: NodeJS.ErrnoException) => {
      this.setState(handle, entry, entry.state === SOCK_HANDSHAKING ? tlsFailureStatus(err) : SOCK_ERR);
    });
    this.attach(handle, entry, tls, false);
    return tls;
  }

  private setState(handle: number, entry: Entry, state: number): void {
    if (entry.state < 0) return; // the first failure is the reason
    entry.state = state;
    this.events.onState?.(handle, entry.state);
  }

  /** Data, close (and, unless the caller has its own, error) handling of the socket the firmware reads and writes. */
  private attach(handle: number, entry: Entry, socket: Socket | TLSSocket, onError: boolean): void {
    socket.on("data", (chunk: Buffer) => {
      entry.queue.push(chunk);
      entry.queued += chunk.length;
      this.events.onData?.(handle);
    });
    if (onError) socket.on("error", () => this.setState(handle, entry, SOCK_ERR));
    socket.on("close", () => {
      if (entry.state >= 0) entry.state = entry.state === SOCK_HANDSHAKING ? SOCK_TLS_FAILED : SOCK_CLOSED;
      this.events.onState?.(handle, entry.state);
      this.events.onData?.(handle);
    });
  }

  /** Bytes on the wire (TCP, so TLS records included) so far, for measurements. */
  wire(handle: number): { written: number; read: number } | null {
    const e = this.entries.get(handle);
    return e ? { written: e.tcp.bytesWritten, read: e.tcp.bytesRead } : null;
  }

  /** Timing of a connection (ms since epoch; 0 = not reached), for measurements. */
  timing(handle: number): { startedAt: number; tcpAt: number; secureAt: number } | null {
    const e = this.entries.get(handle);
    return e ? { startedAt: e.startedAt, tcpAt: e.tcpAt, secureAt: e.secureAt } : null;
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
    return this.recvInto(handle, out, 0, Math.min(cap, out.length));
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
