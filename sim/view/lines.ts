/**
 * Line-oriented output of a Simulation: plain log lines (non-TTY) or one JSON
 * object per line (`--json`). JSON events: {"event": kind, "time_s": virtual
 * seconds, ...}; kinds: broker, conn, publish, relay, platform, log, trap,
 * summary, scenario, stopped.
 */
import type { Simulation } from "../simulation.js";
import { formatVirtualTime } from "./terminal.js";

export type LineWriter = (event: Record<string, unknown>, text: string) => void;

export function lineWriter(json: boolean, stream: NodeJS.WritableStream = process.stdout): LineWriter {
  return (event, text) => {
    stream.write(json ? `${JSON.stringify(event)}\n` : `${text}\n`);
  };
}

/** Writes every simulation event as a line; returns a function that detaches. */
export function attachLines(sim: Simulation, out: LineWriter, o: { debug?: boolean } = {}): () => void {
  const ts = (ms: number): number => Math.round(ms) / 1000;
  const vt = (ms: number): string => formatVirtualTime(ms);
  const handlers = {
    broker: (e: { state: string; url: string; atMs: number }) => out({ event: "broker", time_s: ts(e.atMs), state: e.state, url: e.url }, `${vt(e.atMs)} broker ${e.state} ${e.url}`),
    conn: (e: { uid: string; state: string; atMs: number; reasonCode?: number; reason?: string }) =>
      out(
        e.reason === undefined ? { event: "conn", time_s: ts(e.atMs), uid: e.uid, state: e.state } : { event: "conn", time_s: ts(e.atMs), uid: e.uid, state: e.state, reason_code: e.reasonCode, reason: e.reason },
        `${vt(e.atMs)} ${e.uid} mqtt ${e.state}${e.reason ? ` (${e.reason})` : ""}`,
      ),
    publish: (e: { uid: string; topic: string; payload: string; atMs: number }) => out({ event: "publish", time_s: ts(e.atMs), uid: e.uid, topic: e.topic, payload: e.payload }, `${vt(e.atMs)} ${e.uid} → ${e.topic} ${e.payload}`),
    relay: (e: { uid: string; on: boolean; atMs: number; trueLevelPct: number; levelPct: number | null }) =>
      out({ event: "relay", time_s: ts(e.atMs), uid: e.uid, on: e.on, true_level_pct: Math.round(e.trueLevelPct * 10) / 10, level_pct: e.levelPct }, `${vt(e.atMs)} ${e.uid} RELAY ${e.on ? "ON " : "OFF"} (tank ${e.trueLevelPct.toFixed(1)} %)`),
    platform: (e: Record<string, unknown> & { kind: string; atMs: number; uid: string | null }) => {
      const { atMs, ...rest } = e;
      const text = e.kind === "state" ? `platform → ${String(e.topic)} ${String(e.payload)}` : `platform ${e.kind} ${e.uid ?? ""} ${JSON.stringify({ ...rest, kind: undefined, uid: undefined })}`;
      out({ event: "platform", time_s: ts(atMs), ...rest }, `${vt(atMs)} ${text}`);
    },
    log: (e: { uid: string; level: string; text: string; atMs: number }) => {
      if (e.level === "debug" && !o.debug) return;
      out({ event: "log", time_s: ts(e.atMs), uid: e.uid, level: e.level, text: e.text }, `${vt(e.atMs)} ${e.uid} [${e.level}] ${e.text}`);
    },
    trap: (e: { uid: string; error: string; atMs: number }) => out({ event: "trap", time_s: ts(e.atMs), uid: e.uid, error: e.error }, `${vt(e.atMs)} ${e.uid} TRAP ${e.error}`),
  };
  sim.on("broker", handlers.broker);
  sim.on("conn", handlers.conn);
  sim.on("publish", handlers.publish);
  sim.on("relay", handlers.relay);
  sim.on("platform", handlers.platform);
  sim.on("log", handlers.log);
  sim.on("trap", handlers.trap);
  return () => {
    sim.off("broker", handlers.broker);
    sim.off("conn", handlers.conn);
    sim.off("publish", handlers.publish);
    sim.off("relay", handlers.relay);
    sim.off("platform", handlers.platform);
    sim.off("log", handlers.log);
    sim.off("trap", handlers.trap);
  };
}
