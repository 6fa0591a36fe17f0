/**
 * The host's socket table under fleet load: one write per handle per
 * firmware call (cork/uncork), and a process-wide limit of TCP handshakes in
 * flight that still connects everyone, in order of asking.
 */
import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { Socket, createServer, type Server } from "node:net";
import { SocketTable, connectGate, SOCK_CONNECTED } from "../../sim/host/sockets.js";

let server: Server | null = null;
afterEach(async () => {
  connectGate.limit = 64;
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

async function listen(onData: (b: Buffer) => void = () => {}): Promise<number> {
  server = createServer((c) => c.on("data", onData));
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
  return (server.address() as { port: number }).port;
}

const until = async (ok: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe("SocketTable", () => {
  it("between cork and uncork, any sequence of sends leaves as one write per handle, bytes in order", async () => {
    const got: Buffer[] = [];
    const port = await listen((b) => got.push(b));
    const t = new SocketTable();
    const h = t.connect("127.0.0.1", port);
    await until(() => t.status(h) === SOCK_CONNECTED);
    const write = Socket.prototype.write;
    let writes = 0;
    Socket.prototype.write = function (this: Socket, ...a: Parameters<Socket["write"]>) { writes++; return write.apply(this, a); } as Socket["write"];
    try {
      await fc.assert(fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 1, maxLength: 50 }), { minLength: 1, maxLength: 8 }), async (chunks) => {
        got.length = 0;
        writes = 0;
        t.cork();
        t.cork(); // nests
        for (const c of chunks) expect(t.send(h, c)).toBe(c.length);
        t.uncork();
        expect(writes).toBe(0);
        t.uncork();
        expect(writes).toBe(1);
        const want = Buffer.concat(chunks.map((c) => Buffer.from(c)));
        await until(() => Buffer.concat(got).length >= want.length);
        expect(Buffer.concat(got)).toEqual(want);
      }), { numRuns: 25 });
      // not corked: every send is written at once
      writes = 0;
      t.send(h, Uint8Array.of(1));
      t.send(h, Uint8Array.of(2));
      expect(writes).toBe(2);
    } finally {
      Socket.prototype.write = write;
      t.closeAll();
    }
  });

  it("never has more TCP connects in flight than the gate allows, and connects every socket", async () => {
    const port = await listen();
    connectGate.limit = 3;
    const tables = Array.from({ length: 20 }, () => new SocketTable());
    let maxSeen = 0;
    const handles = tables.map((t) => t.connect("127.0.0.1", port));
    const probe = setInterval(() => { maxSeen = Math.max(maxSeen, connectGate.inFlight); }, 0);
    maxSeen = Math.max(maxSeen, connectGate.inFlight);
    expect(connectGate.inFlight).toBe(3);
    expect(connectGate.queue.length).toBe(17);
    // one queued socket is closed before its turn: it never connects and frees nothing it did not take
    tables[19]!.close(handles[19]!);
    await until(() => tables.slice(0, 19).every((t, i) => t.status(handles[i]!) === SOCK_CONNECTED));
    clearInterval(probe);
    expect(maxSeen).toBeLessThanOrEqual(3);
    expect(connectGate.inFlight).toBe(0);
    expect(connectGate.queue.length).toBe(0);
    for (const t of tables) t.closeAll();
  });
});
