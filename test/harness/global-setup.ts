/**
 * vitest global setup: the native hosts built once (native-build.ts), and one
 * shared mosquitto for the whole run (plain listener plus TLS listeners with
 * a throw-away PKI, see mosquitto.ts), provided to tests as
 * `inject("broker")`. Tests that kill or restart a broker start their own
 * with `Mosquitto.start()`.
 */
import type { TestProject } from "vitest/node";
import { Mosquitto, type BrokerInfo } from "./mosquitto.js";
import { buildNativeHosts } from "./native-build.js";

declare module "vitest" {
  export interface ProvidedContext {
    broker: BrokerInfo;
  }
}

let broker: Mosquitto | null = null;

export async function setup(project: TestProject): Promise<void> {
  buildNativeHosts();
  broker = await Mosquitto.start({ tls: true });
  project.provide("broker", broker.info);
}

export async function teardown(): Promise<void> {
  await broker?.stop();
  broker = null;
}
