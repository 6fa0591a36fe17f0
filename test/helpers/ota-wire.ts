/**
 * The sender's side of docs/OTA.md over mqtt.js, small and strict, for the
 * native hosts' OTA tests: offer an image, answer every `want` of that
 * transfer with the chunk at the wanted offset, and collect the device's
 * retained status messages. (The CLI `iotbind-tank ota push` is the operator's
 * tool; this is the wire protocol alone, so a test failure points at the host.)
 */
import { connectAsync, type MqttClient } from "mqtt";
import { CHUNK_BYTES, signModule } from "../../sim/ota-push.js";
import type { BrokerInfo } from "../harness/mosquitto.js";

export interface OtaStatus {
  version: string;
  abi: number;
  ota: string;
  offset: number;
  size: number;
  error: string;
  rollback: string;
}

/** module || ECDSA P-256 signature over SHA-256(module), raw r || s: the CLI's signer (sim/ota-push.ts), as a Buffer. */
export function signImage(module: Uint8Array, privatePem: string): Buffer {
  return Buffer.from(signModule(module, privatePem));
}

/** A listening OtaDevice for device `uid` on a client of its own (clientId `ota-sender-<uid>` unless given); end its client when done. */
export async function connectSender(broker: BrokerInfo, uid: string, clientId = `ota-sender-${uid}`): Promise<OtaDevice> {
  const c = await connectAsync(`mqtt://${broker.host}:${broker.port}`, { username: broker.user, password: broker.password, clientId });
  const d = new OtaDevice(c, `iotbind-tank/${uid}`);
  await d.listen();
  return d;
}

/** One device's OTA topics, its status messages as they arrive, and pushes to it. */
export class OtaDevice {
  readonly statuses: OtaStatus[] = [];
  private images = new Map<number, Buffer>();
  private answered = new Set<number>();
  private nextId = 1 + Math.floor(Math.random() * 1e6);

  constructor(readonly client: MqttClient, readonly base: string) {
    client.on("message", (topic, payload) => {
      if (topic === `${base}/status`) {
        try { this.statuses.push(JSON.parse(payload.toString()) as OtaStatus); } catch { /* counted by no one: the test's predicates fail */ }
      } else if (topic === `${base}/ota/want`) {
        const want = JSON.parse(payload.toString()) as { id: number; offset: number; size: number };
        const image = this.images.get(want.id);
        this.answered.add(want.id);
        if (!image || want.offset >= image.length) return;
        const head = Buffer.alloc(8);
        head.writeUInt32LE(want.id, 0);
        head.writeUInt32LE(want.offset, 4);
        const chunk = image.subarray(want.offset, Math.min(image.length, want.offset + CHUNK_BYTES));
        void client.publishAsync(`${base}/ota/data`, Buffer.concat([head, chunk]), { qos: 0 });
      }
    });
  }

  async listen(): Promise<void> {
    await this.client.subscribeAsync([`${this.base}/status`, `${this.base}/ota/want`], { qos: 1 });
  }

  /**
   * Offers `image` (a new transfer id); chunks follow the device's wants. The
   * offer is repeated every 2 s (at most 10 times) until the device answers
   * with a want or a status that is not idle: a device whose OTA subscription
   * is not active yet misses it (the CLI re-offers too; a repeat of the
   * current id only makes the device re-send its want).
   */
  async offer(image: Buffer): Promise<number> {
    const id = this.nextId++;
    this.images.set(id, image);
    const from = this.statuses.length;
    const payload = JSON.stringify({ id, size: image.length });
    await this.client.publishAsync(`${this.base}/ota/offer`, payload, { qos: 1 });
    const answered = () => this.answered.has(id) || this.statuses.slice(from).some((s) => s.ota !== "idle");
    void (async () => {
      for (let i = 0; i < 10 && !answered(); i++) {
        await new Promise((r) => setTimeout(r, 2000));
        if (!answered() && this.client.connected) await this.client.publishAsync(`${this.base}/ota/offer`, payload, { qos: 1 });
      }
    })();
    return id;
  }

  last(): OtaStatus | undefined {
    return this.statuses[this.statuses.length - 1];
  }

  /** Resolves with the first status from index `from` on that satisfies `pred`; rejects after `ms` with every status seen. */
  async waitStatus(from: number, pred: (s: OtaStatus) => boolean, what: string, ms = 30000): Promise<OtaStatus> {
    const t0 = Date.now();
    for (;;) {
      const hit = this.statuses.slice(from).find(pred);
      if (hit) return hit;
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}; statuses:\n${this.statuses.map((s) => JSON.stringify(s)).join("\n")}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
