/**
 * Feeding fuzz-corpus inputs to the native (wasm2c) host: a scripted MQTT
 * peer on a loopback TCP port that plays the broker for one host process.
 * Each connection is answered CONNACK + SUBACK and then gets the next
 * scripted input; what happened (the device closed the link, or not) is
 * recorded per input. The host is the unchanged `iotbind-tank-host` built
 * from build/firmware.wasm; nothing in boards/ is needed beyond its normal
 * command line.
 */
import { createServer, type Server, type Socket, type AddressInfo } from "node:net";
import { T, connack, splitFrames, suback } from "../../sim/tools/fuzz/mqtt-bytes.js";

export interface ConnScript {
  /** Bytes to write once the session is up (after SUBACK). */
  bytes: Uint8Array;
  /** How long to wait for the device to react before the peer closes (ms). Keep open: -1. */
  holdMs: number;
  /** Wait this long after SUBACK before writing (ms). */
  delayMs?: number;
}

export interface ConnResult {
  closedByDevice: boolean;
  upBytes: number;
}

export class ScriptedBroker {
  readonly results: ConnResult[] = [];
  connections = 0;
  private server!: Server;
  port = 0;
  private next = 0;
  current: Socket | null = null;

  constructor(private readonly scripts: ConnScript[]) {}

  async start(): Promise<void> {
    this.server = createServer({ noDelay: true }, (s) => this.accept(s));
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  get done(): boolean {
    return this.results.length >= this.scripts.length;
  }

  private accept(s: Socket): void {
    this.connections++;
    this.current = s;
    let buf = Buffer.alloc(0);
    let started = false;
    let peerClosing = false;
    const index = this.next;
    const script = this.scripts[index];
    let upBytes = 0;
    const finish = (closedByDevice: boolean): void => {
      if (this.results[index]) return;
      this.results[index] = { closedByDevice, upBytes };
    };
    s.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const { frames, used } = splitFrames(buf);
      buf = buf.subarray(used);
      for (const f of frames) {
        if (started) { upBytes += f.body.length + 2; continue; }
        if (f.type === T.CONNECT) s.write(connack(0));
        else if (f.type === T.SUBSCRIBE) {
          s.write(suback((f.body[0]! << 8) | f.body[1]!, 1));
          if (!script) { started = true; continue; } // out of scripts: stay idle
          started = true;
          this.next++;
          setTimeout(() => {
            if (s.destroyed) return;
            s.write(script.bytes);
            if (script.holdMs >= 0) {
              setTimeout(() => {
                if (s.destroyed) return;
                peerClosing = true;
                finish(false);
                s.destroy();
              }, script.holdMs);
            }
          }, script.delayMs ?? 0);
        }
      }
    });
    s.on("close", () => { if (started && script && !peerClosing) finish(true); });
    s.on("error", () => {});
  }

  async close(): Promise<void> {
    this.current?.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export { NativeHost } from "./native-host.js";

export async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
