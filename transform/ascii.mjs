// Compile-time UTF-8 literals for the firmware.
//
// `ascii("text")` (declared in assembly/util/ascii.ts) is rewritten at parse
// time into `memory.data<u8>([len & 0xff, len >> 8, ...utf8 bytes])`: a
// pointer to a 2-byte little-endian length followed by the UTF-8 bytes. An
// AssemblyScript string literal would cost a 20-byte header and 2 bytes per
// character; this costs 2 bytes plus 1 per character, and nothing at run
// time. Without this transform the build fails (ascii has no body), so a
// misconfigured build cannot silently ship a different firmware.
import { Transform } from "assemblyscript/transform";
import { Node } from "assemblyscript";

const CALL = 10;          // NodeKind.Call
const IDENTIFIER = 7;     // NodeKind.Identifier
const LITERAL = 17;       // NodeKind.Literal
const STRING_LITERAL = 2; // LiteralKind.String

function isAsciiCall(node) {
  return node && node.kind === CALL && node.expression && node.expression.kind === IDENTIFIER &&
    node.expression.text === "ascii" && node.args && node.args.length === 1;
}

function rewrite(node) {
  const arg = node.args[0];
  if (arg.kind !== LITERAL || arg.literalKind !== STRING_LITERAL) {
    throw new Error(`ascii() takes one string literal (at ${node.range.source.normalizedPath}:${node.range.start})`);
  }
  const bytes = Buffer.from(arg.value, "utf8");
  if (bytes.length > 0xffff) throw new Error("ascii() literal longer than 65535 bytes");
  const r = node.range;
  const values = [bytes.length & 0xff, bytes.length >> 8, ...bytes].map((b) =>
    Node.createIntegerLiteralExpression(globalThis.i64_new(b, 0), r));
  node.expression = Node.createPropertyAccessExpression(
    Node.createIdentifierExpression("memory", r),
    Node.createIdentifierExpression("data", r),
    r,
  );
  node.typeArguments = [Node.createNamedType(Node.createSimpleTypeName("u8", r), null, false, r)];
  node.args = [Node.createArrayLiteralExpression(values, r)];
}

function walk(node, seen) {
  if (!node || typeof node !== "object" || seen.has(node)) return;
  seen.add(node);
  if (Array.isArray(node)) {
    for (const n of node) walk(n, seen);
    return;
  }
  if (isAsciiCall(node)) {
    rewrite(node);
    return;
  }
  for (const key of Object.keys(node)) {
    if (key === "range" || key === "parent" || key === "source") continue;
    const v = node[key];
    if (v && typeof v === "object") walk(v, seen);
  }
}

export default class AsciiTransform extends Transform {
  afterParse(parser) {
    const seen = new Set();
    for (const source of parser.sources) {
      if (source.normalizedPath.startsWith("~lib/")) continue;
      walk(source.statements, seen);
    }
  }
}
