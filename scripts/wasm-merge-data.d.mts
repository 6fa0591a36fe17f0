/** Types of scripts/wasm-merge-data.mjs (used by the tests). */
export function mergeDataSegments(wasm: Buffer): Buffer;
