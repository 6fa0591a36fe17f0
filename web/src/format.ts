/** Virtual time since the start: "1d 02:03:04" / "02:03:04". */
export function fmtTime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const hms = `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}`;
  return d > 0 ? `${d}d ${hms}` : hms;
}

/** Chart axis label for virtual seconds. */
export function fmtAxis(sec: number): string {
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}h` : `${m}:${String(s % 60).padStart(2, "0")}`;
}

/** "12 s ago" for a virtual duration. */
export function fmtAgo(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  return `${(s / 3600).toFixed(1)} h ago`;
}

export function fmtNum(v: number | null, digits: number, unit: string): string {
  return v === null ? "—" : `${v.toFixed(digits)} ${unit}`;
}

export function fmtSpeed(v: number | null): string {
  return v === null ? "max" : `${v}×`;
}
