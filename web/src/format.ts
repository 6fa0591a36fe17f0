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

/** Chart axis tick for virtual seconds: the same "hh:mm:ss" / "1d hh:mm:ss" as the clock and the log. */
export function fmtAxis(sec: number): string {
  return fmtTime(sec * 1000);
}

/** "in 7 s" / "in 3 min" for a virtual duration still to go. */
export function fmtIn(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 120) return `in ${s} s`;
  if (s < 7200) return `in ${Math.ceil(s / 60)} min`;
  return `in ${(s / 3600).toFixed(1)} h`;
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

/** An achieved speed: "58×", "1.5×". */
export function fmtAchieved(v: number): string {
  return v >= 100 ? `${Math.round(v)}×` : `${Number(v.toFixed(1))}×`;
}
