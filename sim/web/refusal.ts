/**
 * A pump refusal in words (the dashboard's "Off refused: minimum on-time
 * 10 s, allowed in 7 s"): what was refused, which rule, and when it will be
 * allowed — a virtual time for the timed rules, a condition for the others.
 * Rule parameters come from the device's config, with the firmware's
 * defaults (docs/CONFIG.md) for members the config leaves out.
 */
export interface RefusalExplanation {
  /** "Off refused: minimum on-time 10 s". */
  text: string;
  /** Virtual ms from which the same request will be allowed (timed rules), else null. */
  allowedAtMs: number | null;
  /** When it is not a time: "when the level is below 95 %". */
  allowedWhen: string | null;
}

/** docs/CONFIG.md defaults of the pump rule members. */
const DEFAULTS = { min_on_s: 10, min_off_s: 10, lockout_s: 600, high_cutoff_pct: 95, low_cutoff_pct: 10 } as const;

function param(cfg: Record<string, string | number | boolean>, k: keyof typeof DEFAULTS): number {
  const v = cfg[k];
  return typeof v === "number" && Number.isFinite(v) ? v : DEFAULTS[k];
}

/**
 * `reason`: REFUSAL_NAMES name; `relayOn`: the relay now (a refused "on"
 * leaves it off, a refused "off" leaves it on); `lastRelayAtMs`: the relay's
 * last switch (null = none since boot, counted from 0).
 */
export function explainRefusal(reason: string, cfg: Record<string, string | number | boolean>, relayOn: boolean, lastRelayAtMs: number | null): RefusalExplanation {
  const verb = relayOn ? "Off" : "On";
  const since = lastRelayAtMs ?? 0;
  const s = (n: number): string => `${n} s`;
  switch (reason) {
    case "MIN_ON_TIME": {
      const n = param(cfg, "min_on_s");
      return { text: `${verb} refused: minimum on-time ${s(n)}`, allowedAtMs: since + n * 1000, allowedWhen: null };
    }
    case "MIN_OFF_TIME": {
      const n = param(cfg, "min_off_s");
      return { text: `${verb} refused: minimum off-time ${s(n)}`, allowedAtMs: since + n * 1000, allowedWhen: null };
    }
    case "LOCKOUT": {
      const n = param(cfg, "lockout_s");
      return { text: `${verb} refused: the pump ran its maximum time and is locked out for ${s(n)}`, allowedAtMs: since + n * 1000, allowedWhen: null };
    }
    case "HIGH_LEVEL": {
      const n = param(cfg, "high_cutoff_pct");
      return { text: `${verb} refused: the tank is full (high cut-off ${n} %)`, allowedAtMs: null, allowedWhen: `when the level is below ${n} %` };
    }
    case "LOW_LEVEL": {
      const n = param(cfg, "low_cutoff_pct");
      return { text: `${verb} refused: the tank is nearly empty (low cut-off ${n} %)`, allowedAtMs: null, allowedWhen: `when the level is above ${n} %` };
    }
    case "LEVEL_UNKNOWN":
      return { text: `${verb} refused: the level is not known yet`, allowedAtMs: null, allowedWhen: "once the sensor gives a good reading" };
    case "DISABLED":
      return { text: `${verb} refused: the pump is disabled in the device's config`, allowedAtMs: null, allowedWhen: "after the config enables it" };
    default:
      return { text: `${verb} refused (${reason})`, allowedAtMs: null, allowedWhen: null };
  }
}
