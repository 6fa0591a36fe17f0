/**
 * An embedded MQTT broker (aedes) on a TCP port, for `npm start` and demos.
 * aedes is an optional peer dependency of the package (README, "Installing"):
 * it is loaded only when an embedded broker is started, so programs that use
 * `Device` or a `Simulation` on an external broker do not need it.
 */
import { createServer, type Server } from "node:net";

/** Thrown when an embedded broker is asked for and the optional peer dependency aedes is not installed. */
export class MissingPeerError extends Error {
  constructor(readonly dependency: string, purpose: string) {
    super(`${purpose} needs the optional dependency "${dependency}": run \`npm install ${dependency}\`, or use an external broker (broker: { url })`);
    this.name = "MissingPeerError";
  }
}

async function loadAedes(): Promise<typeof import("aedes")> {
  try {
    return await import("aedes");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "ERR_MODULE_NOT_FOUND" && err.message.includes("'aedes'")) throw new MissingPeerError("aedes", "the embedded MQTT broker");
    throw e;
  }
}

export interface EmbeddedBroker {
  host: string;
  port: number;
  user: string | undefined;
  password: string | undefined;
  close(): Promise<void>;
}

/** Starts aedes on `host:port` (port 0 = any free port). With user/password, every client must present them. */
export async function startEmbeddedBroker(opts: { host?: string; port?: number; user?: string; password?: string } = {}): Promise<EmbeddedBroker> {
  const host = opts.host ?? "127.0.0.1";
  const { Aedes } = await loadAedes();
  const broker = await Aedes.createBroker({
    authenticate: (_client, username, password, done) => {
      if (opts.user === undefined) return done(null, true);
      const ok = username === opts.user && password?.toString() === opts.password;
      done(null, ok);
    },
  });
  // No Nagle: small MQTT packets must not wait for delayed ACKs (40 ms each on loopback).
  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    broker.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    host,
    port,
    user: opts.user,
    password: opts.password,
    close: () =>
      new Promise<void>((resolve) => {
        broker.close(() => server.close(() => resolve()));
        // Clients the broker closes may linger; do not wait for them forever.
        setTimeout(resolve, 1000).unref();
      }),
  };
}
