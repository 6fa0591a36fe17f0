export const TAG: RegExp;
export function lookup(root: unknown, path: string): number | string;
export function rewriteFigures(text: string, root: unknown): { text: string; problems: string[] };
export function markdownFiles(root: string): string[];
