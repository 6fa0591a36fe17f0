#!/usr/bin/env node
/**
 * The `iotbind-tank` command. The CLI's terminal view, dashboard and embedded
 * broker use packages that are optional peer dependencies of iotbind-tank
 * (README, "Installing"), so that programs embedding `Device` do not install
 * them. This checks they are there, says in one line what to install when they
 * are not, and then runs the CLI (sim/cli.ts) as the program.
 */
import { fileURLToPath } from "node:url";

/** The optional peer dependencies the CLI imports. */
export const CLI_PEERS = ["aedes", "chalk", "log-update", "ws"] as const;

/** The peers that cannot be resolved from this package. */
export function missingPeers(resolve: (name: string) => string = (n) => import.meta.resolve(n)): string[] {
  return CLI_PEERS.filter((name) => {
    try {
      resolve(name);
      return false;
    } catch {
      return true;
    }
  });
}

// `config encode` (provisioning) needs none of the peers.
const missing = process.argv[2] === "config" ? null : missingPeers();
if (missing === null) {
  const { configMain } = await import("./config-cli.js");
  process.exitCode = await configMain(process.argv.slice(3));
} else if (missing.length > 0) {
  process.stderr.write(
    `iotbind-tank: the CLI needs ${missing.join(", ")} (optional peer dependencies, not installed): run \`npm install ${missing.join(" ")}\` where iotbind-tank is installed\n`,
  );
  process.exitCode = 1;
} else {
  // cli.ts runs its main() when it is the program (isMain): make it so.
  const cli = new URL("./cli.js", import.meta.url);
  process.argv[1] = fileURLToPath(cli);
  await import(cli.href);
}
