/**
 * Disconnect reasons (docs/ABI.md `last_disconnect`) in words, for every place
 * a person reads them: log lines, the terminal view, the dashboard, CLI errors.
 * Keyed by name so a reason added to DISCONNECT_NAMES without words here still
 * reads as its name in lower case.
 */
import { DISCONNECT_NAMES } from "./abi.js";

const WORDS: Record<string, string> = {
  NONE: "no disconnect yet",
  SOCKET_FAILED: "could not reach the broker (connection refused, or no route to it)",
  SOCKET_CLOSED: "the broker closed the connection",
  CONNECT_TIMEOUT: "the broker did not answer the MQTT CONNECT in time",
  CONNACK_PROTOCOL: "the broker refused the MQTT protocol version",
  CONNACK_IDENTIFIER: "the broker refused the client id",
  CONNACK_UNAVAILABLE: "the broker says it is unavailable",
  CONNACK_BAD_CREDENTIALS: "the broker refused the user name or password",
  CONNACK_NOT_AUTHORISED: "the broker says this user is not authorised",
  PROTOCOL_VIOLATION: "the broker sent something that is not valid MQTT",
  KEEPALIVE_TIMEOUT: "the broker stopped answering (keep-alive timeout)",
  SUBSCRIBE_REFUSED: "the broker refused the subscription to the downlink topic",
  SEND_FAILED: "sending to the broker failed",
  HOST_VIOLATION: "the host broke the firmware's ABI",
  SHUTDOWN: "the device was shut down",
};

/** The reason's name ("CONNACK_BAD_CREDENTIALS"), or "reason N" for a code this host does not know. */
export function disconnectName(code: number): string {
  return DISCONNECT_NAMES[code] ?? `reason ${code}`;
}

/** The reason in words. */
export function disconnectWords(code: number): string {
  const name = DISCONNECT_NAMES[code];
  if (name === undefined) return `unknown reason ${code}`;
  return WORDS[name] ?? name.toLowerCase().replace(/_/g, " ");
}

/** True for the reasons that retrying with the same settings cannot fix (wrong credentials, not authorised). */
export function isCredentialsRefusal(code: number): boolean {
  const name = DISCONNECT_NAMES[code];
  return name === "CONNACK_BAD_CREDENTIALS" || name === "CONNACK_NOT_AUTHORISED";
}

/** Rewrites a firmware log line's "reason N" into "reason N (words)". */
export function withReasonWords(text: string): string {
  return text.replace(/\breason (\d+)\b/g, (m, n: string) => `${m} (${disconnectWords(Number(n))})`);
}
