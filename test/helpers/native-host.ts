/** A running native host process (build/native/iotbind-tank-host): its output line by line, and ways to wait for it. */
import { spawn, type ChildProcess } from "node:child_process";

export class NativeHost {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  private waiters: (() => void)[] = [];

  /** `stdin`: give the process a pipe on stdin (write with send()). */
  constructor(bin: string, args: string[], opts: { stdin?: boolean } = {}) {
    this.proc = spawn(bin, args, { stdio: [opts.stdin ? "pipe" : "ignore", "pipe", "pipe"] });
    const lines = (into: string[]) => {
      let rest = "";
      return (d: Buffer) => {
        const parts = (rest + d.toString()).split("\n");
        rest = parts.pop()!;
        into.push(...parts);
        this.waiters.forEach((w) => w());
      };
    };
    this.proc.stdout!.on("data", lines(this.stdout));
    this.proc.stderr!.on("data", lines(this.stderr));
    this.exited = new Promise((resolve) => {
      this.proc.once("exit", (code) => { this.waiters.forEach((w) => w()); resolve(code); });
      this.proc.once("error", (e) => { this.stderr.push(`spawn failed: ${e.message}`); resolve(null); });
    });
  }

  /** Resolves when `pred` holds (checked on every output and every 50 ms), rejects after `ms` with the output so far. */
  until(pred: () => boolean, what: string, ms = 15000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (pred()) { done(); resolve(); }
      };
      const poll = setInterval(check, 50);
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${what}\n--- stdout\n${this.stdout.join("\n")}\n--- stderr\n${this.stderr.join("\n")}`));
      }, ms);
      const done = () => { clearTimeout(timer); clearInterval(poll); this.waiters = this.waiters.filter((w) => w !== check); };
      this.waiters.push(check);
      check();
    });
  }

  /** One line on the process's stdin (constructed with stdin: true). */
  send(line: string): void {
    this.proc.stdin!.write(line + "\n");
  }

  relayLines(): string[] {
    return this.stdout.filter((l) => l.startsWith("RELAY "));
  }

  async stop(): Promise<number | null> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGTERM");
    return this.exited;
  }
}
