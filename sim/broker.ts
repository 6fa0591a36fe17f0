/** An embedded MQTT broker (aedes) on a TCP port, for `npm start` and demos. */
import { createServer, type Server } from "node:net";
import { Aedes } from "aedes";

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
