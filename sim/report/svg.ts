/**
 * A hand-written SVG plot of a tank over virtual time: the true level, the
 * level the firmware measured, the pump (relay) state as shaded bands, broker
 * outages, and optional horizontal reference lines. No browser needed.
 */

export interface PlotSample {
  /** Virtual seconds. */
  t: number;
  trueLevel: number;
  /** The firmware's level (null = unknown). */
  level: number | null;
  relay: boolean;
}

export interface PlotOptions {
  title: string;
  /** Shaded intervals [from, to] in seconds (e.g. broker down). */
  outages?: Array<[number, number]>;
  /** Dashed horizontal lines (e.g. auto start/stop, high cut-off). */
  refLines?: Array<{ pct: number; label: string }>;
  /** Vertical markers (e.g. platform switch commands). */
  markers?: Array<{ t: number; label: string }>;
  width?: number;
  height?: number;
}

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const f = (n: number): string => (Math.round(n * 10) / 10).toString();

function timeLabel(s: number, span: number): string {
  if (span >= 4 * 3600) return `${f(s / 3600)} h`;
  if (span >= 300) return `${f(s / 60)} min`;
  return `${f(s)} s`;
}

function niceStep(span: number, target: number): number {
  const raw = span / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

function pickStep(spanUnits: number, steps: number[]): number {
  for (const st of steps) if (spanUnits / st <= 10) return st;
  return steps[steps.length - 1]!;
}

export function plotSvg(samples: readonly PlotSample[], o: PlotOptions): string {
  const W = o.width ?? 960;
  const H = o.height ?? 420;
  const L = 56, R = 16, T = 36, B = 70;
  const pw = W - L - R;
  const ph = H - T - B;
  const t0 = samples[0]?.t ?? 0;
  const t1 = Math.max(t0 + 1, samples[samples.length - 1]?.t ?? 1);
  const span = t1 - t0;
  const x = (t: number): number => L + ((t - t0) / span) * pw;
  const y = (pct: number): number => T + ph - (Math.max(-5, Math.min(105, pct)) / 100) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${L}" y="22" font-size="15" font-weight="bold">${esc(o.title)}</text>`);

  // Pump bands.
  let onFrom: number | null = null;
  const bands: Array<[number, number]> = [];
  for (const s of samples) {
    if (s.relay && onFrom === null) onFrom = s.t;
    if (!s.relay && onFrom !== null) { bands.push([onFrom, s.t]); onFrom = null; }
  }
  if (onFrom !== null) bands.push([onFrom, t1]);
  for (const [a, b] of bands) out.push(`<rect x="${f(x(a))}" y="${T}" width="${f(Math.max(1, x(b) - x(a)))}" height="${ph}" fill="#2e7d32" fill-opacity="0.15"/>`);
  for (const [a, b] of o.outages ?? []) out.push(`<rect x="${f(x(a))}" y="${T}" width="${f(Math.max(1, x(b) - x(a)))}" height="${ph}" fill="#c62828" fill-opacity="0.15"/>`);

  // Grid and axes.
  for (let p = 0; p <= 100; p += 20) {
    out.push(`<line x1="${L}" x2="${L + pw}" y1="${f(y(p))}" y2="${f(y(p))}" stroke="#ddd"/>`);
    out.push(`<text x="${L - 6}" y="${f(y(p) + 4)}" text-anchor="end">${p} %</text>`);
  }
  // Ticks on round numbers of the label's unit (hours, minutes or seconds).
  const unit = span >= 4 * 3600 ? 3600 : span >= 300 ? 60 : 1;
  const step = unit === 1 ? niceStep(span, 8) : pickStep(span / unit, unit === 3600 ? [1, 2, 3, 4, 6, 12, 24, 48] : [1, 2, 5, 10, 15, 20, 30, 60, 120]) * unit;
  for (let t = Math.ceil(t0 / step) * step; t <= t1 + 1e-9; t += step) {
    out.push(`<line x1="${f(x(t))}" x2="${f(x(t))}" y1="${T}" y2="${T + ph}" stroke="#eee"/>`);
    out.push(`<text x="${f(x(t))}" y="${T + ph + 16}" text-anchor="middle">${timeLabel(t, span)}</text>`);
  }
  out.push(`<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  for (const r of o.refLines ?? []) {
    out.push(`<line x1="${L}" x2="${L + pw}" y1="${f(y(r.pct))}" y2="${f(y(r.pct))}" stroke="#999" stroke-dasharray="4 4"/>`);
    out.push(`<text x="${L + pw - 4}" y="${f(y(r.pct) - 3)}" text-anchor="end" fill="#666">${esc(r.label)}</text>`);
  }
  for (const m of o.markers ?? []) {
    out.push(`<line x1="${f(x(m.t))}" x2="${f(x(m.t))}" y1="${T}" y2="${T + ph}" stroke="#6a1b9a" stroke-dasharray="2 3"/>`);
    out.push(`<text x="${f(x(m.t) + 3)}" y="${T + 12}" fill="#6a1b9a">${esc(m.label)}</text>`);
  }

  // Lines.
  const path = (pts: Array<[number, number] | null>): string => {
    let d = "";
    let pen = false;
    for (const p of pts) {
      if (!p) { pen = false; continue; }
      d += `${pen ? "L" : "M"}${f(x(p[0]))},${f(y(p[1]))}`;
      pen = true;
    }
    return d;
  };
  out.push(`<path d="${path(samples.map((s) => [s.t, s.trueLevel]))}" fill="none" stroke="#1565c0" stroke-width="2"/>`);
  out.push(`<path d="${path(samples.map((s) => (s.level === null ? null : [s.t, s.level])))}" fill="none" stroke="#ef6c00" stroke-width="1.5" stroke-dasharray="5 3"/>`);

  // Legend.
  const ly = H - 22;
  const legend: Array<[string, string]> = [
    [`<line x1="0" x2="24" y1="0" y2="0" stroke="#1565c0" stroke-width="2"/>`, "true level"],
    [`<line x1="0" x2="24" y1="0" y2="0" stroke="#ef6c00" stroke-width="1.5" stroke-dasharray="5 3"/>`, "firmware level"],
    [`<rect x="0" y="-6" width="24" height="12" fill="#2e7d32" fill-opacity="0.25"/>`, "pump on"],
    [`<rect x="0" y="-6" width="24" height="12" fill="#c62828" fill-opacity="0.25"/>`, "broker down"],
  ];
  let lx = L;
  for (const [sym, label] of legend) {
    out.push(`<g transform="translate(${lx},${ly})">${sym}<text x="30" y="4">${label}</text></g>`);
    lx += 40 + label.length * 7;
  }
  out.push(`<text x="${L + pw}" y="${ly + 4}" text-anchor="end" fill="#666">virtual time</text>`);
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
