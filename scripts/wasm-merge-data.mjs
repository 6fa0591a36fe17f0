#!/usr/bin/env node
// Post-build step of the release module: merges adjacent active data segments.
//
// asc emits one data segment per static literal (~160 of them); each costs a
// 5–7 byte header (flags, i32.const offset, end, size). Two segments whose gap
// is shorter than the second one's header are cheaper as one segment with the
// gap written as zeros — linear memory starts zeroed and no other segment
// writes into the gap (segments are checked to be sorted and disjoint), so the
// memory image after instantiation is byte-for-byte the same.
//
// Only MVP encodings are read or written (flags 0 = active, memory 0,
// `i32.const <offset> end`); any other segment form stops the build with an
// error instead of being guessed at. Usage: wasm-merge-data.mjs <in> [out]
import { readFileSync, writeFileSync } from "node:fs";

function fail(msg) {
  throw new Error(`wasm-merge-data: ${msg}`);
}

function readU32(buf, pos) {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = buf[pos++];
    result |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result >>> 0, pos];
    shift += 7;
  }
}

function readI32(buf, pos) {
  let result = 0;
  let shift = 0;
  let b;
  do {
    b = buf[pos++];
    result |= (b & 0x7f) << shift;
    shift += 7;
  } while (b & 0x80);
  if (shift < 32 && b & 0x40) result |= -1 << shift;
  return [result | 0, pos];
}

function u32(n) {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function i32(n) {
  const out = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/** Bytes one active segment's header costs at this offset and length. */
function headerCost(offset, length) {
  return 1 + 1 + i32(offset).length + 1 + u32(length).length;
}

/** The module's sections in order: id, start (its id byte), body (its contents) and end. */
function sections(wasm) {
  const out = [];
  for (let p = 8; p < wasm.length;) {
    const id = wasm[p];
    const [size, body] = readU32(wasm, p + 1);
    out.push({ id, start: p, body, end: body + size });
    p = body + size;
  }
  return out;
}

export function mergeDataSegments(wasm) {
  if (wasm.readUInt32LE(0) !== 0x6d736100) fail("not a wasm module");
  const parts = [wasm.subarray(0, 8)];
  let found = false;
  for (const { id, start, body, end } of sections(wasm)) {
    if (id !== 11) {
      parts.push(wasm.subarray(start, end));
      continue;
    }
    found = true;
    let p = body;
    let count;
    [count, p] = readU32(wasm, p);
    const segs = [];
    for (let i = 0; i < count; i++) {
      if (wasm[p] !== 0) fail(`segment ${i} is not an active memory-0 segment (flags ${wasm[p]})`);
      if (wasm[p + 1] !== 0x41) fail(`segment ${i} offset is not an i32.const`);
      let offset;
      [offset, p] = readI32(wasm, p + 2);
      if (wasm[p] !== 0x0b) fail(`segment ${i} offset expression is not a single constant`);
      let len;
      [len, p] = readU32(wasm, p + 1);
      segs.push({ offset, bytes: wasm.subarray(p, p + len) });
      p += len;
    }
    if (p !== end) fail("data section length does not match its segments");
    for (let i = 1; i < segs.length; i++) {
      const prev = segs[i - 1];
      if (segs[i].offset < prev.offset + prev.bytes.length) fail(`segments ${i - 1} and ${i} overlap or are unsorted`);
    }
    const merged = [];
    for (const s of segs) {
      const last = merged[merged.length - 1];
      if (last) {
        const lastEnd = last.offset + last.length;
        const gap = s.offset - lastEnd;
        const grown = last.length + gap + s.bytes.length;
        const extra = gap + u32(grown).length - u32(last.length).length;
        if (extra < headerCost(s.offset, s.bytes.length)) {
          if (gap > 0) last.chunks.push(Buffer.alloc(gap));
          last.chunks.push(s.bytes);
          last.length = grown;
          continue;
        }
      }
      merged.push({ offset: s.offset, length: s.bytes.length, chunks: [s.bytes] });
    }
    const out = [...u32(merged.length)];
    const bodyParts = [Buffer.from(out)];
    for (const m of merged) {
      bodyParts.push(Buffer.from([0, 0x41, ...i32(m.offset), 0x0b, ...u32(m.length)]), ...m.chunks);
    }
    const newBody = Buffer.concat(bodyParts);
    parts.push(Buffer.from([11, ...u32(newBody.length)]), newBody);
  }
  if (!found) return wasm;
  return Buffer.concat(parts);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [inFile, outFile = inFile] = process.argv.slice(2);
  try {
    if (!inFile) fail("usage: wasm-merge-data.mjs <in.wasm> [out.wasm]");
    writeFileSync(outFile, mergeDataSegments(readFileSync(inFile)));
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}

/**
 * `__heap_base` rounded up to a multiple of 16. WAMR shrinks the instance's
 * memory to `__heap_base` only when align16(`__data_end`) <= `__heap_base`
 * (wasm_loader.c); asc's value is the unaligned end of static data, so
 * whether WAMR shrank the memory depended on the data size modulo 16.
 * Returns the module with that global's i32.const rewritten (unchanged when
 * already aligned or absent). The firmware writes nothing at or above either.
 */
export function alignHeapBase(wasm) {
  const all = sections(wasm);
  const exp = all.find((s) => s.id === 7);
  const glob = all.find((s) => s.id === 6);
  if (!exp || !glob) return wasm;
  let q;
  let n;
  [n, q] = readU32(wasm, exp.body);
  let index = -1;
  for (let k = 0; k < n; k++) {
    let len;
    [len, q] = readU32(wasm, q);
    const name = Buffer.from(wasm.subarray(q, q + len)).toString("utf8");
    q += len;
    const kind = wasm[q++];
    let idx;
    [idx, q] = readU32(wasm, q);
    if (kind === 3 && name === "__heap_base") index = idx;
  }
  if (index < 0) return wasm;
  [n, q] = readU32(wasm, glob.body);
  for (let k = 0; k < n; k++) {
    q += 2; // value type, mutability
    const op = wasm[q];
    let v = 0;
    let after;
    if (op === 0x41) [v, after] = readI32(wasm, q + 1);
    else if (op === 0x42) { after = q + 1; while (wasm[after] & 0x80) after++; after++; } // i64.const
    else if (op === 0x43) after = q + 5; // f32.const
    else if (op === 0x44) after = q + 9; // f64.const
    else if (op === 0x23) [, after] = readU32(wasm, q + 1); // global.get
    else fail(`global ${k}: init expression opcode 0x${op.toString(16)}`);
    if (wasm[after] !== 0x0b) fail(`global ${k}: init expression longer than one instruction`);
    if (k === index) {
      if (op !== 0x41) fail("__heap_base's global is not an i32.const");
      const aligned = (v + 15) & ~15;
      if (aligned === v) return wasm;
      const body = [...wasm.subarray(glob.body, q + 1), ...i32(aligned), ...wasm.subarray(after, glob.end)];
      const out = [...wasm.subarray(0, glob.start), 6, ...u32(body.length), ...body, ...wasm.subarray(glob.end)];
      return Uint8Array.from(out);
    }
    q = after + 1;
  }
  return wasm;
}
