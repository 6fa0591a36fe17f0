// Level and pump state over virtual time, with uPlot. The pump's relay is a
// shaded band (stepped), the platform's switch state a dashed step line, the
// firmware's level a line and the true level a thin dotted one.
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

function toData(s: Samples | undefined): uPlot.AlignedData {
  if (!s) return [[], [], [], [], []];
  return [s.t, s.level, s.trueLevel, s.relay, s.cmd];
}

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
        pump: { range: [0, 1.02] },
      },
      axes: [
        { values: (_u, ticks) => ticks.map(fmtAxis), size: 28, font: "11px system-ui", stroke: "#5b6473", grid: { stroke: "#eef1f5" } },
        { scale: "pct", values: (_u, ticks) => ticks.map((v) => `${v}%`), size: 46, font: "11px system-ui", stroke: "#5b6473", grid: { stroke: "#eef1f5" } },
      ],
      series: [
        { label: "time" },
        { label: "level %", scale: "pct", stroke: "#1d6fe0", width: 2, value: (_u, v) => (v == null ? "—" : `${v.toFixed(1)} %`) },
        { label: "true level %", scale: "pct", stroke: "#8a94a6", width: 1, dash: [2, 3], value: (_u, v) => (v == null ? "—" : `${v.toFixed(1)} %`) },
        { label: "pump relay", scale: "pump", stroke: "rgba(234,120,30,0.9)", width: 1, fill: "rgba(250,160,60,0.22)", paths: stepped, value: (_u, v) => (v == null ? "—" : v ? "on" : "off") },
        { label: "app switch", scale: "pump", stroke: "#8b3fd1", width: 1.5, dash: [5, 4], paths: stepped, value: (_u, v) => (v == null ? "—" : v ? "on" : "off") },
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
            for (const [v, color] of [[t.start, "#2a9d5c"], [t.stop, "#d0453a"]] as const) {
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

  return <div class="chart" ref={el} data-points={samples ? samples.t.length : 0} />;
}
