/**
 * Parity between the Bicep and the code (issue #8): every app setting the code reads is declared
 * in the Bicep and every declared one is read (host-owned settings allow-listed with a reason),
 * every queue and table the code uses exists in the Bicep and no other, and queue/table names are
 * written out only in functions/azure/names.ts. Returns problems; an empty list means in parity.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BicepFile, Declaration, Token, bicepFiles, bodyObject, code, listFiles, objectEntries, property, readBicep, stringLiterals } from './bicep-reader';

/** What the code side says, and the reasoned exceptions. */
export interface ParityInput {
  /** Repository root (holds infra/). */
  root: string;
  /** App setting names the code reads (APP_SETTINGS). */
  codeSettings: readonly string[];
  /** Queue names the code uses, poison queues included. */
  queues: readonly string[];
  /** Table names the code uses. */
  tables: readonly string[];
  /** Settings the Bicep declares for the Functions host, not the code: name → reason. */
  hostOwned: Readonly<Record<string, string>>;
  /** Settings the code reads that the Bicep must not declare (local development only): name → reason. */
  localOnly: Readonly<Record<string, string>>;
  /** Settings no Bicep may declare: name → reason. */
  forbidden: Readonly<Record<string, string>>;
}

/** Where {@link findHardCodedNames} looks. */
export interface SourceScanInput {
  root: string;
  /** Names that must come from the names file. */
  names: readonly string[];
  /** Source directory scanned. */
  sourceDir: string;
  /** The one file allowed to spell the names out. */
  namesFile: string;
}

/** What the Bicep declares, and what disagrees. */
export interface ParityReport {
  declaredSettings: string[];
  declaredQueues: string[];
  declaredTables: string[];
  problems: string[];
}

/** Compares the Bicep under `root/infra` with the code's names. */
export function checkParity(input: ParityInput): ParityReport {
  const files = bicepFiles(path.join(input.root, 'infra')).map(readBicep);
  const problems: string[] = [];

  const declaredSettings = appSettingsDeclared(files, problems);
  const declared = new Set(declaredSettings);
  const read = new Set(input.codeSettings);
  for (const name of input.codeSettings) {
    if (name in input.localOnly) continue;
    if (!declared.has(name)) problems.push(`app setting ${name} is read by the code but not declared in the Bicep`);
  }
  for (const name of declaredSettings) {
    if (name in input.forbidden) problems.push(`app setting ${name} must not be declared: ${input.forbidden[name]}`);
    else if (name in input.localOnly) problems.push(`app setting ${name} is for local development only: ${input.localOnly[name]}`);
    else if (!read.has(name) && !(name in input.hostOwned)) problems.push(`app setting ${name} is declared in the Bicep but never read by the code`);
  }
  for (const name of Object.keys(input.hostOwned)) {
    if (!declared.has(name)) problems.push(`host setting ${name} is allow-listed but not declared in the Bicep (${input.hostOwned[name]})`);
  }

  const declaredQueues = resourceNames(files, 'Microsoft.Storage/storageAccounts/queueServices/queues', problems);
  const declaredTables = resourceNames(files, 'Microsoft.Storage/storageAccounts/tableServices/tables', problems);
  compareNames('queue', input.queues, declaredQueues, problems);
  compareNames('table', input.tables, declaredTables, problems);

  return { declaredSettings, declaredQueues, declaredTables, problems };
}

/** Keys of every `Microsoft.Web/sites/config` 'appsettings' resource; what cannot be read is a problem. */
function appSettingsDeclared(files: BicepFile[], problems: string[]): string[] {
  const names: string[] = [];
  let found = 0;
  for (const file of files) {
    for (const decl of file.declarations) {
      if (decl.kind !== 'resource') continue;
      const body = bodyObject(decl);
      if (decl.type === 'Microsoft.Web/sites' && body && property(body.object, ['properties', 'siteConfig', 'appSettings'])) {
        problems.push(`${where(file, decl)}: app settings in siteConfig.appSettings; declare them in the 'appsettings' config resource`);
      }
      if (decl.type !== 'Microsoft.Web/sites/config' || !body) continue;
      const nameEntry = property(body.object, ['name']);
      if (!nameEntry || stringLiterals(nameEntry.valueTokens)[0] !== 'appsettings') continue;
      found++;
      const props = property(body.object, ['properties']);
      let raw = props?.valueTokens ?? [];
      const value = code(raw);
      if (value.length === 1 && value[0].kind === 'word') {
        raw = file.declarations.find((d) => d.kind === 'var' && d.name === value[0].text)?.valueTokens ?? [];
      }
      const object = code(raw);
      if (object[0]?.text !== '{' || object[object.length - 1]?.text !== '}') {
        problems.push(`${where(file, decl)}: cannot read the app settings: properties must be an object literal, or a var holding one`);
        continue;
      }
      // Raw tokens (with newlines): entries are separated by newlines.
      names.push(...objectEntries(raw.slice(raw.indexOf(object[0]))).map((e) => e.key));
    }
  }
  if (found === 0) problems.push("no Microsoft.Web/sites/config 'appsettings' resource found in the Bicep");
  return names;
}

/** Names of every resource of `type`, following `[for x in someVar: { name: x }]` to the var's literals. */
function resourceNames(files: BicepFile[], type: string, problems: string[]): string[] {
  const names: string[] = [];
  for (const file of files) {
    for (const decl of file.declarations) {
      if (decl.kind !== 'resource' || decl.type !== type || decl.existing) continue;
      const body = bodyObject(decl);
      const nameEntry = body && property(body.object, ['name']);
      const value = nameEntry ? code(nameEntry.valueTokens) : [];
      if (value.length === 1 && value[0].kind === 'string' && value[0].value !== undefined) {
        names.push(value[0].value);
      } else if (body?.loop && value.length === 1 && value[0].text === body.loop.item && literalList(file, body.loop.source)) {
        names.push(...literalList(file, body.loop.source)!);
      } else {
        problems.push(`${where(file, decl)}: cannot read the ${type.split('/').pop()} names; use a literal name or loop over a var of literal strings`);
      }
    }
  }
  return names;
}

/** The strings of an array literal, directly or through one var; undefined when any element is not a literal. */
function literalList(file: BicepFile, source: Token[]): string[] | undefined {
  let tokens = code(source);
  if (tokens.length === 1 && tokens[0].kind === 'word') {
    const v = file.declarations.find((d) => d.kind === 'var' && d.name === tokens[0].text);
    if (!v) return undefined;
    tokens = code(v.valueTokens);
  }
  if (tokens[0]?.text !== '[' || tokens[tokens.length - 1]?.text !== ']') return undefined;
  const inner = tokens.slice(1, -1).filter((t) => !(t.kind === 'punct' && t.text === ','));
  if (!inner.every((t) => t.kind === 'string' && t.value !== undefined)) return undefined;
  return inner.map((t) => t.value as string);
}

function compareNames(what: string, used: readonly string[], declared: string[], problems: string[]): void {
  for (const name of used) if (!declared.includes(name)) problems.push(`${what} ${name} is used by the code but not declared in the Bicep`);
  for (const name of declared) if (!used.includes(name)) problems.push(`${what} ${name} is declared in the Bicep but not used by the code`);
}

/** Quoted occurrences of the names in code (comments aside) under sourceDir, except in the names file. */
export function findHardCodedNames(input: SourceScanInput): string[] {
  const problems: string[] = [];
  const quoted = new RegExp(`(['"\`])(${input.names.map(escapeRegExp).join('|')})\\1`, 'g');
  for (const file of listFiles(input.sourceDir)) {
    if (!file.endsWith('.ts') || path.resolve(file) === path.resolve(input.namesFile)) continue;
    const lines = withoutComments(fs.readFileSync(file, 'utf8')).split('\n');
    lines.forEach((text, i) => {
      for (const m of text.matchAll(quoted)) {
        problems.push(`${path.relative(input.root, file)}:${i + 1}: writes out ${m[2]}; import it from ${path.relative(input.root, input.namesFile)}`);
      }
    });
  }
  return problems;
}

/** Blanks out block and line comments, keeping line numbers (naive about '//' inside strings, which only hides text after it). */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/\/\/.*$/gm, '');
}

function where(file: BicepFile, decl: Declaration): string {
  return `${file.path}:${decl.line} (${decl.name})`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
