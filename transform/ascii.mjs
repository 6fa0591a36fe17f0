// Compile-time UTF-8 literals for the firmware.
//
// `ascii("text")` (declared in assembly/util/ascii.ts) is rewritten at parse
// time into the name of a `@global` constant `memory.data<u8>([len,
// ...utf8 bytes])`: a pointer to a 1-byte length (a literal is at most 255
// bytes; a longer one fails the build) followed by the UTF-8 bytes. Identical texts share one constant, declared
// in a generated file that the entry file imports first (so the literals lie
// at the lowest static addresses, where i32.const takes 2 bytes). An
// AssemblyScript string literal would cost a 20-byte header and 2 bytes per
// character; this costs 1 byte plus 1 per character, and nothing at run
// time. Without this transform the build fails (ascii has no body), so a
// misconfigured build cannot silently ship a different firmware.
import { Transform } from "assemblyscript/transform";
import { Node } from "assemblyscript";

const CALL = 10;          // NodeKind.Call
const IDENTIFIER = 7;     // NodeKind.Identifier
const LITERAL = 17;       // NodeKind.Literal
const STRING_LITERAL = 2; // LiteralKind.String
const USER_ENTRY = 1;     // SourceKind.UserEntry
const LITERALS = "~ascii-literals"; // the generated file of shared literals, next to the entry file

function isAsciiCall(node) {
  return node && node.kind === CALL && node.expression && node.expression.kind === IDENTIFIER &&
    node.expression.text === "ascii" && node.args && node.args.length === 1;
}

/** The identifier that replaces this call: the name of the literal's one shared static. */
function rewrite(node, literals) {
  const arg = node.args[0];
  if (arg.kind !== LITERAL || arg.literalKind !== STRING_LITERAL) {
    throw new Error(`ascii() takes one string literal (at ${node.range.source.normalizedPath}:${node.range.start})`);
  }
  if (Buffer.byteLength(arg.value, "utf8") > 0xff) {
    throw new Error(`ascii() literal longer than 255 bytes (at ${node.range.source.normalizedPath}:${node.range.start})`);
  }
  let name = literals.get(arg.value);
  if (name === undefined) {
    name = `__ascii_${literals.size}`;
    literals.set(arg.value, name);
  }
  return Node.createIdentifierExpression(name, node.range);
}

/** One `@global` constant per distinct literal: [len, ...UTF-8 bytes]. */
function literalSource(literals) {
  let text = "";
  for (const [value, name] of literals) {
    const bytes = Buffer.from(value, "utf8");
    text += `// @ts-ignore: decorator\n@global export const ${name}: usize = memory.data<u8>([${[bytes.length, ...bytes].join(",")}]);\n`;
  }
  return text;
}

/** Replaces every ascii("...") call below `node` (in the property or array slot holding it). */
function walk(node, seen, literals) {
  if (!node || typeof node !== "object" || seen.has(node)) return;
  seen.add(node);
  const keys = Array.isArray(node) ? node.keys() : Object.keys(node);
  for (const key of keys) {
    if (key === "range" || key === "parent" || key === "source") continue;
    const v = node[key];
    if (isAsciiCall(v)) node[key] = rewrite(v, literals);
    else if (v && typeof v === "object") walk(v, seen, literals);
  }
}

export default class AsciiTransform extends Transform {
  afterParse(parser) {
    const seen = new Set();
    const literals = new Map(); // text -> name of its one shared static: identical texts share bytes
    for (const source of parser.sources) {
      if (source.normalizedPath.startsWith("~lib/")) continue;
      walk(source.statements, seen, literals);
    }
    const entry = parser.sources.find((s) => s.sourceKind === USER_ENTRY && !s.normalizedPath.startsWith("~lib/"));
    if (!entry) throw new Error("ascii transform: no user entry file");
    const dir = entry.normalizedPath.includes("/") ? entry.normalizedPath.slice(0, entry.normalizedPath.lastIndexOf("/") + 1) : "";
    parser.parseFile(literalSource(literals), `${dir}${LITERALS}.ts`, false);
    // The entry file imports it first, so it is compiled before every other
    // file and a top-level constant anywhere may name a literal.
    const r = entry.range;
    entry.statements.unshift(Node.createImportStatement(null, Node.createStringLiteralExpression(`./${LITERALS}`, r), r));
  }
}
