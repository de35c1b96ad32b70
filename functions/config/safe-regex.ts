/**
 * User regular expressions (tag policies, immutable tags, label gates), compiled safely.
 *
 * JavaScript regexes backtrack, and a pattern such as `(a+)+$` or `(a|a)*$` takes
 * exponential time on a non-matching input: one bad line in a config would hang detection.
 * Inputs are short (a tag is at most 128 characters), which bounds polynomial blow-ups such
 * as `.*.*`; exponential ones are refused here by a static check on the pattern:
 * - a repetition inside a repetition (star height > 1), unless both are small bounded counts
 *   or the inner one is closed by a delimiter it cannot match (`(-[a-z]+)*`, `(\d+\.)+`);
 * - a repeated part that can match the empty string;
 * - a choice inside a repetition whose alternatives can begin with the same character;
 * - backreferences (matching them is NP-hard in general);
 * - more than two unbounded repetitions in a row that can take the same characters (`.*.*.*x`,
 *   `a*a*a*b`): k of them split a run of n characters in O(n^k) ways, 49 s for `.*.*.*.*.*x`
 *   on a 128-character tag. A mandatory character none of them can take (`\d+\.\d+\.\d+`)
 *   ends such a row.
 * The check is conservative: it refuses a few harmless patterns (`(ab|ac)+`), and the
 * message says how to rewrite them. Patterns are unanchored (`test`), without flags.
 */
import { BasegateError } from '../errors';

/** Longest pattern accepted: tag and label patterns are short; a long one is a mistake or an attack. */
export const MAX_PATTERN_LENGTH = 256;
/** Nested bounded counts are allowed while their product stays this small (`(\d{1,3}\.){3}`). */
const MAX_NESTED_PRODUCT = 64;
/** Competing unbounded repetitions in a row allowed: two backtrack in O(n²), ~2 ms on a 128-character tag; three took 130 ms. */
const MAX_COMPETING = 2;
/** A count range wider than this (`{0,100}`) backtracks like an unbounded repetition. */
const WIDE_COUNT = 16;

type Node =
  | { type: 'alt'; alternatives: Node[]; start: number; end: number }
  | { type: 'seq'; items: Node[]; start: number; end: number }
  | { type: 'repeat'; min: number; max: number; body: Node; start: number; end: number }
  | { type: 'group'; body: Node; zeroWidth: boolean; start: number; end: number }
  | { type: 'char'; source: string; start: number; end: number }
  | { type: 'assert'; start: number; end: number };

/** Compiles a user pattern after refusing what may backtrack catastrophically; throws `REGEX_INVALID` or `REGEX_UNSAFE`. */
export function compileSafeRegex(pattern: string): RegExp {
  if (typeof pattern !== 'string') throw new BasegateError('REGEX_INVALID', `expected a regular expression, found ${typeof pattern}`);
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new BasegateError('REGEX_INVALID', `expected a regular expression of at most ${MAX_PATTERN_LENGTH} characters, found ${pattern.length}`);
  }
  let regex: RegExp;
  try {
    regex = new RegExp(pattern);
  } catch (err) {
    throw new BasegateError('REGEX_INVALID', `expected a regular expression, found ${JSON.stringify(pattern)} (${(err as Error).message})`);
  }
  const ast = new Parser(pattern).parse();
  const checker = new Checker(pattern);
  checker.check(ast, undefined, false);
  checker.checkRows(ast);
  return regex;
}

class Parser {
  private i = 0;
  constructor(private readonly p: string) {}

  parse(): Node {
    const node = this.alternation();
    if (this.i < this.p.length) throw this.unsupported(this.i);
    return node;
  }

  private alternation(): Node {
    const start = this.i;
    const alternatives = [this.sequence()];
    while (this.p[this.i] === '|') {
      this.i++;
      alternatives.push(this.sequence());
    }
    return alternatives.length === 1 ? alternatives[0] : { type: 'alt', alternatives, start, end: this.i };
  }

  private sequence(): Node {
    const start = this.i;
    const items: Node[] = [];
    while (this.i < this.p.length && this.p[this.i] !== '|' && this.p[this.i] !== ')') items.push(this.quantified());
    return { type: 'seq', items, start, end: this.i };
  }

  private quantified(): Node {
    const start = this.i;
    const atom = this.atom();
    const q = this.quantifier();
    if (!q) return atom;
    if (this.p[this.i] === '?') this.i++; // lazy: same backtracking, other order
    return { type: 'repeat', min: q.min, max: q.max, body: atom, start, end: this.i };
  }

  private quantifier(): { min: number; max: number } | undefined {
    const c = this.p[this.i];
    if (c === '*') return this.i++, { min: 0, max: Infinity };
    if (c === '+') return this.i++, { min: 1, max: Infinity };
    if (c === '?') return this.i++, { min: 0, max: 1 };
    if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.p.slice(this.i));
      if (!m) return undefined; // a literal "{" outside a quantifier (Annex B)
      this.i += m[0].length;
      const min = Number(m[1]);
      return { min, max: m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]) };
    }
    return undefined;
  }

  private atom(): Node {
    const start = this.i;
    const c = this.p[this.i];
    if (c === '(') return this.group();
    if (c === '^' || c === '$') return this.i++, { type: 'assert', start, end: this.i };
    if (c === '[') return this.charClass();
    if (c === '\\') return this.escape();
    this.i++;
    return { type: 'char', source: c === '.' ? '.' : escapeLiteral(c), start, end: this.i };
  }

  private group(): Node {
    const start = this.i;
    const rest = this.p.slice(this.i);
    const prefix = /^\((\?(?::|=|!|<=|<!|<[A-Za-z_$][\w$]*>))?/.exec(rest)![0];
    this.i += prefix.length;
    const zeroWidth = /^\(\?(=|!|<=|<!)/.test(prefix);
    const body = this.alternation();
    if (this.p[this.i] !== ')') throw this.unsupported(start);
    this.i++;
    return { type: 'group', body, zeroWidth, start, end: this.i };
  }

  private charClass(): Node {
    const start = this.i;
    this.i++;
    if (this.p[this.i] === '^') this.i++;
    while (this.i < this.p.length && this.p[this.i] !== ']') this.i += this.p[this.i] === '\\' ? 2 : 1;
    this.i++;
    return { type: 'char', source: this.p.slice(start, this.i), start, end: this.i };
  }

  private escape(): Node {
    const start = this.i;
    const next = this.p[this.i + 1];
    if (next === 'b' || next === 'B') return (this.i += 2), { type: 'assert', start, end: this.i };
    if (/[1-9]/.test(next) || (next === 'k' && this.p[this.i + 2] === '<')) {
      throw new BasegateError('REGEX_UNSAFE', `regular expression ${JSON.stringify(this.p)} uses a backreference (${this.p.slice(start, start + 3)}), which can backtrack catastrophically; backreferences are not supported`);
    }
    const long = /^\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|c[A-Za-z])/.exec(this.p.slice(this.i));
    this.i += long ? long[0].length : 2;
    return { type: 'char', source: this.p.slice(start, this.i), start, end: this.i };
  }

  private unsupported(at: number): BasegateError {
    return new BasegateError('REGEX_INVALID', `regular expression ${JSON.stringify(this.p)} could not be analysed at offset ${at}`);
  }
}

class Checker {
  /** Characters the first-character analysis tests classes against: printable ASCII and every literal of the pattern. */
  private readonly alphabet: string[];
  private readonly firstCache = new Map<Node, Set<string>>();

  constructor(private readonly p: string) {
    const chars = new Set<string>();
    for (let c = 0x20; c < 0x7f; c++) chars.add(String.fromCharCode(c));
    for (const c of p) chars.add(c);
    this.alphabet = [...chars];
  }

  /** Walks the tree; `outer` is the closest enclosing repetition that can repeat more than once. */
  check(node: Node, outer: { node: Node; max: number } | undefined, inRepeat: boolean): void {
    switch (node.type) {
      case 'alt':
        if (inRepeat) this.checkDistinct(node);
        for (const a of node.alternatives) this.check(a, outer, inRepeat);
        return;
      case 'seq':
        for (const item of node.items) this.check(item, outer, inRepeat);
        return;
      case 'group':
        return this.check(node.body, outer, inRepeat);
      case 'repeat': {
        // `(-[a-z]+)*`, `(\d+\.)+`: each round ends at a character its repetition cannot take, so rounds split one way only.
        if (node.max > 1 && !outer && this.delimited(node.body)) return;
        if (node.max > 1) {
          if (outer && (outer.max === Infinity || node.max === Infinity || outer.max * node.max > MAX_NESTED_PRODUCT)) {
            throw this.unsafe(
              `nests a repetition (${this.snippet(node)}) inside a repetition (${this.snippet(outer.node)})`,
              'write it without nested quantifiers, e.g. (a+)+ → a+, (\\d+\\.)+ → [\\d.]+',
            );
          }
          if (this.nullable(node.body)) {
            throw this.unsafe(`repeats ${this.snippet(node.body)}, which can match the empty string`, 'make the repeated part match at least one character, e.g. (a?)+ → a*');
          }
        }
        const nextOuter = node.max > 1 ? { node, max: outer ? outer.max * node.max : node.max } : outer;
        return this.check(node.body, nextOuter, inRepeat || node.max > 1);
      }
      default:
        return;
    }
  }

  /**
   * Refuses a row where more than {@link MAX_COMPETING} unbounded repetitions each can take
   * the characters of the one before (their boundaries can shift: O(n^k) ways to split). A
   * repetition whose first characters no earlier one can take starts its own chain
   * (`\d+(\.\d+)*(-[a-z]+)*` is linear); a mandatory character none of the row's repetitions
   * can take ends the row. Nested parts are rows of their own.
   */
  checkRows(node: Node): void {
    let row: Array<{ chars: Set<string>; chain: number }> = [];
    for (const item of this.rowItems(node)) {
      const first = this.first(item.node);
      const after = row.filter((r) => [...first].some((c) => r.chars.has(c)));
      if (item.unbounded) {
        const chain = 1 + Math.max(0, ...after.map((r) => r.chain));
        if (chain > MAX_COMPETING) {
          throw this.unsafe(
            `has ${chain} unbounded repetitions in a row that can take the same characters (up to ${this.snippet(item.node)})`,
            'separate them by a character they cannot match, or merge them, e.g. .*-.*-.* → [^-]*-[^-]*-.*',
          );
        }
        row.push({ chars: this.chars(item.node), chain });
      } else if (!item.nullable && after.length === 0) {
        row = []; // a delimiter none of the row's repetitions can take
      }
    }
  }

  /** A node as items of a row; parts that are rows of their own (alternatives, repeated bodies, lookarounds) are checked on the way. */
  private rowItems(node: Node): Array<{ node: Node; unbounded: boolean; nullable: boolean }> {
    switch (node.type) {
      case 'seq':
        return node.items.flatMap((i) => this.rowItems(i));
      case 'assert':
        return [];
      case 'group':
        if (node.zeroWidth) return this.checkRows(node.body), [];
        if (node.body.type !== 'alt') return this.rowItems(node.body);
        node.body.alternatives.forEach((a) => this.checkRows(a));
        return [{ node, unbounded: this.hasUnbounded(node.body), nullable: this.nullable(node) }];
      case 'alt':
        node.alternatives.forEach((a) => this.checkRows(a));
        return [{ node, unbounded: this.hasUnbounded(node), nullable: this.nullable(node) }];
      case 'repeat':
        this.checkRows(node.body);
        return [{ node, unbounded: node.max - node.min > WIDE_COUNT || this.hasUnbounded(node.body), nullable: this.nullable(node) }];
      case 'char':
        return [{ node, unbounded: false, nullable: false }];
    }
  }

  private hasUnbounded(node: Node): boolean {
    switch (node.type) {
      case 'repeat':
        return node.max - node.min > WIDE_COUNT || this.hasUnbounded(node.body);
      case 'seq':
        return node.items.some((i) => this.hasUnbounded(i));
      case 'alt':
        return node.alternatives.some((a) => this.hasUnbounded(a));
      case 'group':
        return !node.zeroWidth && this.hasUnbounded(node.body);
      default:
        return false;
    }
  }

  /** Every character a match of `node` can contain (over the alphabet). */
  private chars(node: Node): Set<string> {
    switch (node.type) {
      case 'char':
        return this.first(node);
      case 'assert':
        return new Set();
      case 'group':
        return node.zeroWidth ? new Set() : this.chars(node.body);
      case 'repeat':
        return this.chars(node.body);
      case 'seq':
      case 'alt': {
        const out = new Set<string>();
        for (const child of node.type === 'seq' ? node.items : node.alternatives) this.chars(child).forEach((c) => out.add(c));
        return out;
      }
    }
  }

  /**
   * True for a loop body made of single characters and exactly one repeated single character
   * whose cyclic successor is a mandatory character it cannot match (a delimiter).
   */
  private delimited(body: Node): boolean {
    let node = body;
    while (node.type === 'group' && !node.zeroWidth) node = node.body;
    if (node.type !== 'seq') return false;
    const items = node.items;
    const repeats = items.filter((i) => i.type === 'repeat');
    if (repeats.length !== 1 || items.some((i) => i.type !== 'char' && i.type !== 'repeat')) return false;
    const repeat = repeats[0] as Extract<Node, { type: 'repeat' }>;
    if (repeat.body.type !== 'char') return false;
    const next = items[(items.indexOf(repeat) + 1) % items.length];
    if (next.type !== 'char') return false;
    const taken = this.first(repeat.body);
    return [...this.first(next)].every((c) => !taken.has(c));
  }

  private checkDistinct(node: Extract<Node, { type: 'alt' }>): void {
    const seen = new Map<string, Node>();
    for (const alternative of node.alternatives) {
      if (this.nullable(alternative)) {
        throw this.unsafe(`repeats a choice (${this.snippet(node)}) with an empty alternative`, 'use ? on the optional part instead, e.g. (a|)+ → a*');
      }
      for (const c of this.first(alternative)) {
        const other = seen.get(c);
        if (other && other !== alternative) {
          throw this.unsafe(
            `repeats a choice (${this.snippet(node)}) whose alternatives ${this.snippet(other)} and ${this.snippet(alternative)} can both start with ${JSON.stringify(c)}`,
            'make the alternatives start differently, e.g. (a|ab)+ → (ab?)+',
          );
        }
        seen.set(c, alternative);
      }
    }
  }

  private nullable(node: Node): boolean {
    switch (node.type) {
      case 'alt':
        return node.alternatives.some((a) => this.nullable(a));
      case 'seq':
        return node.items.every((i) => this.nullable(i));
      case 'group':
        return node.zeroWidth || this.nullable(node.body);
      case 'repeat':
        return node.min === 0 || this.nullable(node.body);
      case 'assert':
        return true;
      case 'char':
        return false;
    }
  }

  /** Characters a match of `node` can begin with (over the alphabet). */
  private first(node: Node): Set<string> {
    const cached = this.firstCache.get(node);
    if (cached) return cached;
    const out = new Set<string>();
    const add = (s: Set<string>) => s.forEach((c) => out.add(c));
    switch (node.type) {
      case 'alt':
        node.alternatives.forEach((a) => add(this.first(a)));
        break;
      case 'seq':
        for (const item of node.items) {
          add(this.first(item));
          if (!this.nullable(item)) break;
        }
        break;
      case 'group':
        if (!node.zeroWidth) add(this.first(node.body));
        break;
      case 'repeat':
        add(this.first(node.body));
        break;
      case 'char': {
        const re = new RegExp(`^(?:${node.source})$`);
        for (const c of this.alphabet) if (re.test(c)) out.add(c);
        break;
      }
      case 'assert':
        break;
    }
    this.firstCache.set(node, out);
    return out;
  }

  private snippet(node: Node): string {
    return this.p.slice(node.start, node.end) || '(empty)';
  }

  private unsafe(what: string, fix: string): BasegateError {
    return new BasegateError('REGEX_UNSAFE', `regular expression ${JSON.stringify(this.p)} ${what}: such a pattern can backtrack catastrophically; ${fix}`);
  }
}

function escapeLiteral(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}
