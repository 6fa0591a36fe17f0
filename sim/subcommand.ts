/**
 * The error contract of the CLI's subcommands (`iotbind-tank ota`, `config`):
 * an error is one line on stderr, `iotbind-tank <name>: <message>` (a usage
 * error adds "(see iotbind-tank <name> --help)"; IOTBIND_DEBUG=1 adds the
 * stack), and the exit status is 1, or 2 for a usage error. Peer-free: the
 * `config` command runs without the CLI's optional peers (sim/bin.ts).
 */
import { readFileSync } from "node:fs";

/** A usage error: exit status 2. */
export class Usage extends Error {}

/** parseArgs' error as a Usage error, its first line without node's "To specify..." hint. */
export function usageOf(e: unknown): Usage {
  return new Usage((e as Error).message.split("\n")[0]!.replace(/\. To specify.*$/, ""));
}

/** The bytes of `file`, or throws "cannot read [what ]file: ENOENT" (the errno code when there is one). */
export function readOrThrow(file: string, what?: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new Error(`cannot read ${what ? `${what} ` : ""}${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Runs a subcommand: its exit status, or its error written as one line and 1 (2 for Usage). */
export async function runSubcommand(name: string, run: () => number | Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (e) {
    const usage = e instanceof Usage;
    process.stderr.write(`iotbind-tank ${name}: ${(e as Error).message.split("\n")[0]}${usage ? ` (see iotbind-tank ${name} --help)` : ""}\n`);
    if (process.env.IOTBIND_DEBUG) process.stderr.write(`${(e as Error).stack ?? ""}\n`);
    return usage ? 2 : 1;
  }
}
