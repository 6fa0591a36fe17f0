// Level, temperature and pump state over virtual time, with uPlot. The sensor
// reading is a line, the simulated truth a thin dotted one, the temperature a
// line on its own °C axis, the device's relay a shaded band (stepped), the
// app's switch a dashed step line, the auto start/stop thresholds dashed
// horizontal lines. ChartLegend names each of them.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { Samples } from "./store.js";
import { fmtAxis } from "./format.js";

interface Props {
  samples: Samples | undefined;
  version: number;
  height: number;
  legend?: boolean;
  thresholds?: { start: number | null; stop: number | null };
}

/** The one place the series' colours are defined (the chart and its legend). */
export const COLORS = {
  level: "#1d6fe0",
  simulated: "#8a94a6",
  temperature: "#0f8f7e",
  relayStroke: "rgba(234,120,30,0.9)",
  relayFill: "rgba(250,160,60,0.22)",
  app: "#8b3fd1",
  start: "#2a9d5c",
  stop: "#d0453a",
} as const;

function toData(s: Samples | undefined): uPlot.AlignedData {
  if (!s) return [[], [], [], [], [], []];
  return [s.t, s.level, s.trueLevel, s.temp, s.relay, s.cmd];
}

const X_LABEL = "virtual time (hh:mm:ss)";
const Y_LABEL = "level %";
const TEMP_LABEL = "°C";
const AXIS = { font: "11px system-ui", labelFont: "11px system-ui", stroke: "#5b6473", grid: { stroke: "#eef1f5" } };

export function Chart({ samples, version, height, legend = false, thresholds }: Props) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const th = useRef(thresholds);
  th.current = thresholds;

  useEffect(() => {
    const host = el.current;
    if (!host) return;
    const stepped = uPlot.paths.stepped!({ align: 1 });
    const opts: uPlot.Options = {
      width: Math.max(100, host.clientWidth),
      height,
      legend: { show: legend },
      cursor: { drag: { x: true, y: false } },
      scales: {
        x: { time: false },
        pct: { range: [0, 100] },
        temp: { range: (_u, lo, hi) => [Math.floor(Math.min(lo, 10) / 5) * 5, Math.ceil(Math.max(hi, 30) / 5) * 5] },
        pump: { range: [0, 1.02] },
      },
      axes: [
        {
          ...AXIS, label: X_LABEL, labelSize: 16, size: 26,
          values: (_u, ticks) => {
            const shown = ticks.map(fmtAxis);
            host.dataset.xTicks = shown.join("|"); // what the canvas shows, for tests and tools
            return shown;
          },
        },
        { ...AXIS, scale: "pct", label: Y_LABEL, labelSize: 14, values: (_u, ticks) => ticks.map((v) => `${v}`), size: 30 },
        { ...AXIS, scale: "temp", side: 1, label: TEMP_LABEL, labelSize: 14, values: (_u, ticks) => ticks.map((v) => `${v}`), size: 28, grid: { show: false } },
      ],
      series: [
        { label: "virtual time", value: (_u, v) => (v == null ? "—" : fmtAxis(v)) },
        { label: "sensor reading %", scale: "pct", stroke: COLORS.level, width: 2, value: (_u, v) => (v == null ? "—" : `${v.toFixed(1)} %`) },
        { label: "simulated level %", scale: "pct", stroke: COLORS.simulated, width: 1, dash: [2, 3], value: (_u, v) => (v == null ? "—" : `${v.toFixed(1)} %`) },
        { label: "temperature °C", scale: "temp", stroke: COLORS.temperature, width: 1.2, value: (_u, v) => (v == null ? "—" : `${v.toFixed(1)} °C`) },
        { label: "device relay", scale: "pump", stroke: COLORS.relayStroke, width: 1, fill: COLORS.relayFill, paths: stepped, value: (_u, v) => (v == null ? "—" : v ? "on" : "off") },
        { label: "app switch", scale: "pump", stroke: COLORS.app, width: 1.5, dash: [5, 4], paths: stepped, value: (_u, v) => (v == null ? "—" : v ? "on" : "off") },
      ],
      hooks: {
        draw: [
          (u) => {
            const t = th.current;
            if (!t) return;
            const ctx = u.ctx;
            ctx.save();
            ctx.setLineDash([4, 4]);
            ctx.lineWidth = 1;
            for (const [v, color] of [[t.start, COLORS.start], [t.stop, COLORS.stop]] as const) {
              if (v === null) continue;
              const y = u.valToPos(v, "pct", true);
              ctx.strokeStyle = color;
              ctx.beginPath();
              ctx.moveTo(u.bbox.left, y);
              ctx.lineTo(u.bbox.left + u.bbox.width, y);
              ctx.stroke();
            }
            ctx.restore();
          },
        ],
      },
    };
    const u = new uPlot(opts, toData(samples), host);
    plot.current = u;
    const ro = new ResizeObserver(() => {
      const w = Math.max(100, host.clientWidth);
      if (Math.abs(w - u.width) > 1) u.setSize({ width: w, height });
    });
    ro.observe(host);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [height, legend]);

  useEffect(() => {
    plot.current?.setData(toData(samples));
  }, [version, samples]);

  // uPlot draws axes on the canvas: their labels are repeated as attributes
  return <div class="chart" ref={el} data-points={samples ? samples.t.length : 0} data-temp-points={samples ? samples.temp.filter((v) => v !== null).length : 0} data-axis-labels={[X_LABEL, Y_LABEL, TEMP_LABEL].join("|")} />;
}

/** The key to the chart's lines, band and thresholds (also for the small card charts, whose uPlot legend is off). */
export function ChartLegend({ thresholds }: { thresholds?: { start: number | null; stop: number | null } }) {
  const item = (key: string, swatch: preact.JSX.Element, text: string) => (
    <span class="key" data-key={key}>{swatch}{text}</span>
  );
  const line = (color: string, dash = "") => (
    <svg width="18" height="8" aria-hidden="true"><line x1="0" y1="4" x2="18" y2="4" stroke={color} stroke-width="2" stroke-dasharray={dash} /></svg>
  );
  return (
    <div class="legend" data-field="legend">
      {item("level", line(COLORS.level), "sensor reading")}
      {item("simulated", line(COLORS.simulated, "2 3"), "simulated level")}
      {item("temperature", line(COLORS.temperature), "temperature (°C, right)")}
      {item("relay", <svg width="14" height="10" aria-hidden="true"><rect width="14" height="10" fill={COLORS.relayFill} stroke={COLORS.relayStroke} /></svg>, "device relay on")}
      {item("app", line(COLORS.app, "5 4"), "app switch")}
      {thresholds?.start != null && item("start", line(COLORS.start, "4 4"), `auto start ${thresholds.start} %`)}
      {thresholds?.stop != null && item("stop", line(COLORS.stop, "4 4"), `auto stop ${thresholds.stop} %`)}
    </div>
  );
}
