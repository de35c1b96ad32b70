/**
 * A small, honest reader of Bicep source for the infra checks (no Bicep compiler reaches the test
 * machines: shared/facts.md). It tokenizes (comments, strings with `${}` interpolation, multi-line
 * `'''` strings, brackets) and splits the file into top-level declarations; it does not evaluate
 * anything. Callers that need a value it cannot read as a literal report that as a problem rather
 * than guessing: the Bicep is written so that what the checks need is literal.
 * Grammar followed: https://learn.microsoft.com/azure/azure-resource-manager/bicep/file
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** One lexical token; `value` is a string literal's text when it has no interpolation. */
export interface Token {
  kind: 'comment' | 'string' | 'word' | 'punct' | 'newline';
  text: string;
  line: number;
  value?: string;
}

/** A top-level declaration with its decorators and the comment lines just above it. */
export interface Declaration {
  kind: 'param' | 'var' | 'resource' | 'module' | 'output' | 'other';
  /** Symbolic name (param/var/resource/module/output name). */
  name: string;
  line: number;
  /** Comment lines directly above (and above its decorators), without the `//`. */
  comments: string[];
  /** Source text of each decorator, e.g. `@secure()`. */
  decorators: string[];
  /** `param`/`output`: declared type; `resource`: type without api version; `module`: path. */
  type: string;
  /** `resource`: api version. */
  apiVersion?: string;
  /** `resource ... existing`. */
  existing?: boolean;
  /** Tokens after the first top-level `=` (default value, value, or body). */
  valueTokens: Token[];
}

/** A parsed file. */
export interface BicepFile {
  path: string;
  declarations: Declaration[];
}

/** An entry of an object literal: `key: value  // trailing comment`. */
export interface ObjectEntry {
  key: string;
  line: number;
  valueTokens: Token[];
  trailingComment: string | undefined;
}

/** Reads and parses one .bicep file. */
export function readBicep(file: string): BicepFile {
  return parseBicep(fs.readFileSync(file, 'utf8'), file);
}

/** Every .bicep file under `dir`, sorted. */
export function bicepFiles(dir: string): string[] {
  return listFiles(dir).filter((f) => f.endsWith('.bicep'));
}

/** Every file under `dir`, recursively, sorted. */
export function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out.sort();
}

/** Parses Bicep source into top-level declarations. */
export function parseBicep(source: string, file = '<source>'): BicepFile {
  const tokens = tokenize(source, file);
  const declarations: Declaration[] = [];
  let comments: string[] = [];
  let decorators: string[] = [];
  let decoratorComments: string[] = [];
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i];
    if (t.kind === 'newline') {
      // A blank line detaches the comments above it from what follows.
      if (i > 0 && tokens[i - 1].kind === 'newline' && decorators.length === 0) comments = [];
      i++;
      continue;
    }
    if (t.kind === 'comment') {
      comments.push(commentText(t.text));
      i++;
      continue;
    }
    const end = statementEnd(tokens, i);
    const statement = tokens.slice(i, end);
    i = end;
    if (t.text === '@') {
      if (decorators.length === 0) decoratorComments = comments;
      decorators.push(code(statement).map((x) => x.text).join(''));
      comments = [];
      continue;
    }
    declarations.push(declaration(statement, decorators.length > 0 ? [...decoratorComments, ...comments] : comments, decorators));
    comments = [];
    decorators = [];
    decoratorComments = [];
  }
  return { path: file, declarations };
}

function declaration(statement: Token[], comments: string[], decorators: string[]): Declaration {
  const c = code(statement);
  const keyword = c[0].text;
  const eq = c.findIndex((t) => t.kind === 'punct' && t.text === '=');
  const valueTokens = eq >= 0 ? statement.slice(statement.indexOf(c[eq]) + 1) : [];
  const base = { name: c[1]?.text ?? '', line: c[0].line, comments, decorators, valueTokens, type: '' };
  switch (keyword) {
    case 'param':
    case 'output':
      return { ...base, kind: keyword, type: c[2]?.text ?? '' };
    case 'var':
      return { ...base, kind: 'var' };
    case 'module':
      return { ...base, kind: 'module', type: c[2]?.value ?? '' };
    case 'resource': {
      const [type, apiVersion] = (c[2]?.value ?? '').split('@');
      return { ...base, kind: 'resource', type, apiVersion, existing: c[3]?.text === 'existing' };
    }
    default:
      return { ...base, kind: 'other', name: keyword };
  }
}

/** Index just past the statement starting at `start`: the first newline outside brackets. */
function statementEnd(tokens: Token[], start: number): number {
  let depth = 0;
  for (let i = start; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind === 'punct' && '([{'.includes(t.text)) depth++;
    else if (t.kind === 'punct' && ')]}'.includes(t.text)) depth--;
    else if (t.kind === 'newline' && depth <= 0) return i;
  }
  return tokens.length;
}

/**
 * The object literal a resource or module body declares, looking through `if (...)` and
 * `[for x in y: {...}]`; `loop` names the loop variable and the tokens of what it iterates.
 */
export function bodyObject(decl: Declaration): { object: Token[]; loop?: { item: string; source: Token[] } } | undefined {
  const c = code(decl.valueTokens);
  let i = 0;
  let loop: { item: string; source: Token[] } | undefined;
  if (c[i]?.text === 'if') i = matching(c, i + 1) + 1;
  if (c[i]?.text === '[' && c[i + 1]?.text === 'for') {
    // [for item in source: {...}] or [for (item, index) in source: {...}]
    let j = i + 2;
    const item = c[j].text === '(' ? c[j + 1].text : c[j].text;
    j = c[j].text === '(' ? matching(c, j) + 1 : j + 1;
    if (c[j]?.text !== 'in') return undefined;
    const colon = findAtDepth(c, j + 1, ':');
    if (colon < 0) return undefined;
    loop = { item, source: c.slice(j + 1, colon) };
    i = colon + 1;
    if (c[i]?.text === 'if') i = matching(c, i + 1) + 1;
  }
  if (c[i]?.text !== '{') return undefined;
  const first = decl.valueTokens.indexOf(c[i]);
  const last = decl.valueTokens.indexOf(c[matching(c, i)]);
  return { object: decl.valueTokens.slice(first, last + 1), loop };
}

/** The entries of the object literal `tokens` (which start with `{`), at its top level. */
export function objectEntries(tokens: Token[]): ObjectEntry[] {
  const entries: ObjectEntry[] = [];
  if (tokens[0]?.text !== '{') return entries;
  let depth = 0;
  let current: Token[] = [];
  const flush = () => {
    const c = code(current);
    if (c.length >= 2 && c[1].text === ':') {
      const comment = current.filter((t) => t.kind === 'comment' && t.line === c[c.length - 1].line).pop();
      const start = current.indexOf(c[1]) + 1;
      const valueTokens = current.slice(start).filter((t) => !(t.kind === 'comment' && t === comment));
      entries.push({ key: c[0].value ?? c[0].text, line: c[0].line, valueTokens, trailingComment: comment && commentText(comment.text) });
    }
    current = [];
  };
  for (let i = 1; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind === 'punct' && '([{'.includes(t.text)) depth++;
    if (t.kind === 'punct' && ')]}'.includes(t.text)) {
      if (depth === 0) break;
      depth--;
    }
    if (depth === 0 && (t.kind === 'newline' || (t.kind === 'punct' && t.text === ','))) {
      // A comment at the end of the entry's line belongs to the entry.
      flush();
      continue;
    }
    current.push(t);
  }
  flush();
  return entries;
}

/** Follows `keys` through nested object literals; undefined when a step is not an object literal entry. */
export function property(object: Token[], keys: string[]): ObjectEntry | undefined {
  let tokens = object;
  let entry: ObjectEntry | undefined;
  for (const key of keys) {
    entry = objectEntries(tokens).find((e) => e.key === key);
    if (!entry) return undefined;
    // Keep newlines and comments: entries are newline-separated and may carry trailing comments.
    const open = entry.valueTokens.findIndex((t) => t.kind !== 'newline' && t.kind !== 'comment');
    tokens = open < 0 ? [] : entry.valueTokens.slice(open);
  }
  return entry;
}

/** The literal values of the non-interpolated strings among `tokens`. */
export function stringLiterals(tokens: Token[]): string[] {
  return tokens.filter((t) => t.kind === 'string' && t.value !== undefined).map((t) => t.value as string);
}

/** The code tokens of an expression (no comments or newlines). */
export function code(tokens: Token[]): Token[] {
  return tokens.filter((t) => t.kind !== 'comment' && t.kind !== 'newline');
}

/** Index of the bracket closing the one at `open`. */
function matching(tokens: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i].kind !== 'punct') continue;
    if ('([{'.includes(tokens[i].text)) depth++;
    if (')]}'.includes(tokens[i].text) && --depth === 0) return i;
  }
  return tokens.length - 1;
}

function findAtDepth(tokens: Token[], from: number, text: string): number {
  let depth = 0;
  for (let i = from; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind !== 'punct') continue;
    if ('([{'.includes(t.text)) depth++;
    else if (')]}'.includes(t.text)) depth--;
    else if (depth === 0 && t.text === text) return i;
  }
  return -1;
}

function commentText(text: string): string {
  return text.startsWith('//') ? text.slice(2).trim() : text.slice(2, -2).trim();
}

/** Splits Bicep source into tokens; throws on an unterminated string or comment. */
export function tokenize(source: string, file = '<source>'): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let line = 1;
  const push = (kind: Token['kind'], start: number, value?: string) => {
    const text = source.slice(start, pos);
    tokens.push({ kind, text, line, value });
    line += countNewlines(text);
  };
  while (pos < source.length) {
    const c = source[pos];
    const start = pos;
    if (c === '\n') {
      pos++;
      tokens.push({ kind: 'newline', text: '\n', line });
      line++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      pos++;
    } else if (source.startsWith('//', pos)) {
      while (pos < source.length && source[pos] !== '\n') pos++;
      push('comment', start);
    } else if (source.startsWith('/*', pos)) {
      const close = source.indexOf('*/', pos + 2);
      if (close < 0) throw new Error(`${file}:${line}: unterminated comment`);
      pos = close + 2;
      push('comment', start);
    } else if (source.startsWith("'''", pos)) {
      const close = source.indexOf("'''", pos + 3);
      if (close < 0) throw new Error(`${file}:${line}: unterminated multi-line string`);
      pos = close + 3;
      push('string', start, source.slice(start + 3, close));
    } else if (c === "'") {
      const r = scanString(source, pos, file, line);
      pos = r.end;
      push('string', start, r.value);
    } else if (/[A-Za-z_0-9]/.test(c)) {
      while (pos < source.length && /[A-Za-z_0-9]/.test(source[pos])) pos++;
      push('word', start);
    } else {
      pos++;
      push('punct', start);
    }
  }
  return tokens;
}

/** Scans a '...' string from `start`; `value` is undefined when it interpolates `${...}`. */
function scanString(source: string, start: number, file: string, line: number): { end: number; value: string | undefined } {
  let pos = start + 1;
  let value = '';
  let interpolated = false;
  while (pos < source.length) {
    const c = source[pos];
    if (c === '\\') {
      const next = source[pos + 1];
      value += next === 'n' ? '\n' : next === 't' ? '\t' : next === 'r' ? '\r' : next;
      pos += 2;
    } else if (c === "'") {
      return { end: pos + 1, value: interpolated ? undefined : value };
    } else if (c === '$' && source[pos + 1] === '{') {
      interpolated = true;
      pos = skipInterpolation(source, pos + 2, file, line);
    } else if (c === '\n') {
      throw new Error(`${file}:${line}: unterminated string`);
    } else {
      value += c;
      pos++;
    }
  }
  throw new Error(`${file}:${line}: unterminated string`);
}

/** Skips an interpolated expression up to its closing `}`; nested strings and braces included. */
function skipInterpolation(source: string, pos: number, file: string, line: number): number {
  let depth = 0;
  while (pos < source.length) {
    const c = source[pos];
    if (c === "'") pos = scanString(source, pos, file, line).end;
    else if (c === '{') {
      depth++;
      pos++;
    } else if (c === '}') {
      if (depth === 0) return pos + 1;
      depth--;
      pos++;
    } else pos++;
  }
  throw new Error(`${file}:${line}: unterminated interpolation`);
}

function countNewlines(text: string): number {
  let n = 0;
  for (const ch of text) if (ch === '\n') n++;
  return n;
}
