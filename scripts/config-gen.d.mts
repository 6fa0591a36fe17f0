/** Types of scripts/config-gen.mjs (used by the tests). */
export interface SchemaMember {
  index: number; name: string; kind: "int" | "seconds" | "scaled" | "bool" | "string" | "topic" | "word";
  min?: number; max?: number; words?: string; check?: string; required?: boolean;
  default?: number | boolean | string | null; defaultDoc?: string; unit?: string;
  storage: { var?: string; scale?: number; invert?: boolean; string?: boolean; copy?: boolean; given?: string; absent?: number; profile?: boolean; type?: string };
  group: string; doc: string;
}
export interface Schema {
  format: number;
  words: Record<string, string[]>;
  profiles: Record<string, { kind: "pulse" | "uart" | "analog"; blind_mm: number; max_range_mm: number; ping_gap_ms: number; trigger_us: number; frame_interval_ms: number }>;
  members: SchemaMember[];
}
export const SCHEMA_FILE: string;
export const OUTPUTS: { config: string; table: string; ts: string; c: string; docs: string };
export function loadSchema(text?: string): Schema;
export function binaryRange(s: Schema, m: SchemaMember): [number, number];
export function maxBytes(s: Schema): number;
export function docType(m: SchemaMember): string;
export function docRange(s: Schema, m: SchemaMember): string;
export function docDefault(m: SchemaMember): string;
export function generate(): Record<string, string>;
