/** Paths inside the package, valid from the sources (sim/) and the compiled output (dist/sim/). */
import { dirname, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
/** The package root (where package.json is). */
export const PACKAGE_ROOT = here.endsWith(`${sep}dist${sep}sim`) ? resolve(here, "../..") : resolve(here, "..");

export function packagePath(...parts: string[]): string {
  return resolve(PACKAGE_ROOT, ...parts);
}
