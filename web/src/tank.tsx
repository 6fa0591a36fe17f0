// The tank graphic: water at the firmware's level, a marker at the true level,
// the auto start/stop thresholds, and the pump (lit and turning when on).
import type { DeviceSummary } from "./store.js";

const X = 14;
const Y = 10;
const W = 72;
const H = 124;

export function Tank({ d }: { d: DeviceSummary }) {
  const level = d.levelPct;
  const known = level !== null;
  const lv = Math.max(0, Math.min(100, level ?? 0));
  const waterH = (H * lv) / 100;
  const yOf = (pct: number) => Y + H - (H * Math.max(0, Math.min(100, pct))) / 100;
  const bad = d.quality !== "OK";
  const clipId = `clip-${d.uid}`;
  return (
    <svg class="tank" viewBox="0 0 110 160" role="img" aria-label={`tank ${d.uid} at ${known ? lv.toFixed(0) : "unknown"} %`} data-level={known ? lv.toFixed(1) : ""}>
      <defs>
        <clipPath id={clipId}>
          <rect x={X} y={Y} width={W} height={H} rx="8" />
        </clipPath>
      </defs>
      <rect x={X} y={Y} width={W} height={H} rx="8" class="tank-body" />
      <g clip-path={`url(#${clipId})`}>
        {known && <rect x={X} y={Y + H - waterH} width={W} height={waterH} class={bad ? "water stale" : "water"} />}
        {known && <path class="wave" d={`M${X} ${Y + H - waterH} q 9 -3 18 0 t 18 0 t 18 0 t 18 0`} />}
        {!known && <text x={X + W / 2} y={Y + H / 2} class="unknown">?</text>}
      </g>
      {d.autoStartPct !== null && <line x1={X - 6} x2={X + W + 2} y1={yOf(d.autoStartPct)} y2={yOf(d.autoStartPct)} class="threshold start"><title>auto start {d.autoStartPct} %</title></line>}
      {d.autoStopPct !== null && <line x1={X - 6} x2={X + W + 2} y1={yOf(d.autoStopPct)} y2={yOf(d.autoStopPct)} class="threshold stop"><title>auto stop {d.autoStopPct} %</title></line>}
      <path class="true-level" d={`M${X + W + 3} ${yOf(d.trueLevelPct)} l 7 -5 v 10 z`}>
        <title>true level {d.trueLevelPct.toFixed(1)} %</title>
      </path>
      <rect x={X} y={Y} width={W} height={H} rx="8" class="tank-outline" />
      {known && <text x={X + W / 2} y={Y + 22} class="level-text">{lv.toFixed(0)}%</text>}
      <g class={d.relayOn ? "pump on" : "pump"} transform={`translate(${X + W / 2 - 26}, ${Y + H + 13})`}>
        <circle r="8" cx="0" cy="0" />
        <g class="impeller">
          <path d="M0 -5 L1.5 0 L0 5 L-1.5 0 Z" />
          <path d="M-5 0 L0 1.5 L5 0 L0 -1.5 Z" />
        </g>
        <text x="14" y="4">{d.relayOn ? "pump on" : "pump off"}</text>
      </g>
    </svg>
  );
}
