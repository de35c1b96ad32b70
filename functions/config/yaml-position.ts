/** Where a path of the document sits in the YAML text, so that errors can say `basegate.yaml:12:5`. */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter } from 'yaml';
import type { PathSegment } from './config-path';

/**
 * 1-based line and column of the value at `path`: a scalar value itself, the key of a mapping
 * or list value, or the deepest existing ancestor when the path goes on past the document
 * (a missing key points at its parent).
 */
export function positionOf(doc: Document, lines: LineCounter, path: readonly PathSegment[]): { line: number; column: number } | undefined {
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  let found = true;
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(segment));
      if (!pair) {
        found = false;
        break;
      }
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
      node = node.items[segment];
      offset = rangeStart(node) ?? offset;
    } else {
      found = false;
      break;
    }
  }
  if (found && isScalar(node)) offset = rangeStart(node) ?? offset;
  if (offset === undefined) return undefined;
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range?.[0];
}
