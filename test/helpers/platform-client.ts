/** mqtt.js as the platform side of a test: subscribe, collect, publish. */
import mqtt, { type MqttClient } from "mqtt";
import type { BrokerInfo } from "../harness/mosquitto.js";

export interface Received {
  topic: string;
  payload: string;
  json: unknown;
  at: number;
}

export class PlatformClient {
  readonly messages: Received[] = [];
  private constructor(readonly client: MqttClient) {
    client.on("message", (topic, payload) => {
      const text = payload.toString("utf8");
      let json: unknown = undefined;
      try { json = JSON.parse(text); } catch { /* kept as text */ }
      this.messages.push({ topic, payload: text, json, at: Date.now() });
    });
  }

  /** Connects in clear, or with `opts.tls` over TLS to "localhost" on that port trusting `ca` (mqtt.js verifies the name). */
  static async connect(broker: BrokerInfo, subscribe: string[] = [], opts: { tls?: { port: number; ca: Buffer } } = {}): Promise<PlatformClient> {
    const url = opts.tls ? `mqtts://localhost:${opts.tls.port}` : `mqtt://${broker.host}:${broker.port}`;
    const client = await mqtt.connectAsync(url, {
      ...(opts.tls ? { ca: opts.tls.ca, rejectUnauthorized: true } : {}),
      username: broker.user,
      password: broker.password,
      clientId: `platform-${process.pid}-${Math.random().toString(36).slice(2, 10)}`,
      reconnectPeriod: 0,
    });
    const pc = new PlatformClient(client);
    if (subscribe.length) await client.subscribeAsync(subscribe, { qos: 1 });
    return pc;
  }

  on(topic: string): Received[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  async publish(topic: string, payload: string | Buffer, qos: 0 | 1 = 1): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos });
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}
