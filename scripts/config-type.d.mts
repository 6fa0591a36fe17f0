/** Types of scripts/config-type.mjs (used by the tests). */
export interface ConfigRow { member: string; type: string; range: string; default: string; meaning: string; line: number }
export const CONFIG_DOC: string;
export const CONFIG_TYPE_FILE: string;
export function configRows(markdown: string): ConfigRow[];
export function tsType(row: ConfigRow): string;
export function configTypeSource(markdown: string): string;
