/**
 * Who may change state through the dashboard (issue 13: "another web page must
 * not switch a pump").
 *
 * The dashboard can be bound to 0.0.0.0, so any web page a user opens could
 * otherwise POST to it (a "simple" cross-origin request needs no CORS
 * preflight) or open its WebSocket (WebSockets are not subject to the
 * same-origin policy). The rules:
 *
 * 1. A state-changing request (every POST, and every WebSocket upgrade, since
 *    the socket can switch pumps) that carries an `Origin` header is accepted
 *    only when that origin is the dashboard's own: `http://<Host header>`, and
 *    the Host names this machine by an IP literal, `localhost` (or
 *    `*.localhost`), or this machine's host name, or is listed in
 *    `allowedOrigins`. Checking the Host name as well defeats DNS rebinding (a
 *    page on `evil.example` re-pointed at 127.0.0.1 sends Origin and Host
 *    `evil.example`, which match each other but name no known host).
 *    `Origin: null` (sandboxed frames, file: pages) is foreign.
 * 2. A request without `Origin` comes from a non-browser client (curl, a
 *    script): browsers send `Origin` on every POST and WebSocket upgrade. It is
 *    accepted, under rule 3.
 * 3. A POST must be `content-type: application/json`. A browser can send that
 *    cross-origin only after a CORS preflight, which this server never grants,
 *    so HTML forms and `no-cors` fetches (text/plain, form-urlencoded,
 *    multipart) are refused with 415 before anything happens.
 */
import { hostname } from "node:os";
import { isIP } from "node:net";
import type { IncomingMessage } from "node:http";

export interface OriginPolicy {
  /** Extra origins allowed to change state, e.g. "http://tank-sim.lan:8080" (exact match, no trailing slash). */
  allowedOrigins?: readonly string[];
}

export type Verdict = { ok: true } | { ok: false; status: 403 | 415; error: string };

/** The host part of a Host header value ("[::1]:8080" → "::1", "a.b:80" → "a.b"). */
function hostOnly(host: string): string {
  if (host.startsWith("[")) return host.slice(1, host.indexOf("]") >= 0 ? host.indexOf("]") : undefined);
  const i = host.lastIndexOf(":");
  return i >= 0 ? host.slice(0, i) : host;
}

/** True when `name` can only resolve to this machine, or is its own name. */
function knownHost(name: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, "");
  if (isIP(n) !== 0) return true;
  if (n === "localhost" || n.endsWith(".localhost")) return true;
  return n === hostname().toLowerCase();
}

/** Rule 1 and 2: is the request's Origin (if any) the dashboard's own? */
export function checkOrigin(req: IncomingMessage, policy: OriginPolicy = {}): Verdict {
  const origin = req.headers.origin;
  if (origin === undefined) return { ok: true };
  if (policy.allowedOrigins?.includes(origin)) return { ok: true };
  const host = req.headers.host;
  if (host && origin.toLowerCase() === `http://${host.toLowerCase()}` && knownHost(hostOnly(host))) return { ok: true };
  return {
    ok: false,
    status: 403,
    error: `refused: request from another web page (Origin ${origin}); only the dashboard's own page may change state`,
  };
}

/** Rule 3: a POST body must be declared as JSON. */
export function checkJsonBody(req: IncomingMessage): Verdict {
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/json") return { ok: true };
  return { ok: false, status: 415, error: `content-type must be application/json, got ${type === "" ? "none" : type}` };
}
