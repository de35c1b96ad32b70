/**
 * Secrets scan of the deployment files (issue #8): no secret value may appear in infra/ or
 * azure.yaml. Text rules catch secret-shaped literals (keys in connection strings, SAS
 * signatures, PEM private keys, literal passwords, long random-looking tokens); Bicep rules
 * catch the ways a template leaks one (listKeys-style calls, `@secure()` parameters with a
 * default, outputs built from secure parameters, secure parameters given a literal in
 * main.parameters.json). Returns problems as `file:line: what`; empty means clean.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { code, listFiles, parseBicep } from './bicep-reader';

const TEXT_RULES: { what: string; pattern: RegExp; only?: RegExp }[] = [
  { what: 'a storage account key in a connection string (AccountKey=)', pattern: /AccountKey\s*=/i },
  { what: 'a shared access signature (SharedAccessSignature=)', pattern: /SharedAccessSignature\s*=/i },
  { what: 'a SAS signature (sig=...)', pattern: /[?&]sig=[A-Za-z0-9%+/=]{16,}/ },
  { what: 'an Application Insights instrumentation key literal', pattern: /InstrumentationKey=[0-9a-f]{8}-/i },
  { what: 'a PEM private key', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  {
    what: 'a literal password, secret or token value',
    pattern: /\b\w*(password|passwd|pwd|secret|token|apikey|api_key)\s*["']?\s*[:=]\s*(["'])(?!\$\{)[^"'\s]{4,}\2/i,
  },
  {
    what: 'a literal password, secret or token value (YAML)',
    pattern: /^\s*-?\s*\w*(password|passwd|secret|token)\s*:\s*(?!["'$\s{]|\$\{|(true|false|null)\s*$)[^\s#]{4,}\s*(#.*)?$/i,
    only: /\.ya?ml$/,
  },
];

/** Calls that return keys or credentials: their results would land in the deployment history. */
const LEAKING_CALLS = /\b(listKeys|listCredentials|listSecrets|listConnectionStrings|listAccountSas|listServiceSas|listAdminKeys|listQueryKeys)\s*\(/i;

/** Scans `root/infra/**` and `root/azure.yaml`. */
export function scanForSecrets(root: string): string[] {
  const files = [...listFiles(path.join(root, 'infra')), path.join(root, 'azure.yaml')].filter((f) => fs.existsSync(f));
  const problems: string[] = [];
  for (const file of files) {
    const rel = path.relative(root, file);
    const text = fs.readFileSync(file, 'utf8');
    text.split('\n').forEach((line, i) => {
      for (const rule of TEXT_RULES) if ((!rule.only || rule.only.test(file)) && rule.pattern.test(line)) problems.push(`${rel}:${i + 1}: ${rule.what}`);
      for (const token of randomLookingTokens(line)) problems.push(`${rel}:${i + 1}: a long random-looking token (${token.slice(0, 6)}…)`);
      if (file.endsWith('.bicep') && LEAKING_CALLS.test(line)) problems.push(`${rel}:${i + 1}: ${LEAKING_CALLS.exec(line)![1]}() returns keys or credentials`);
    });
    if (file.endsWith('.bicep')) problems.push(...bicepRules(rel, text));
  }
  problems.push(...parameterFileRules(root));
  return problems;
}

function bicepRules(rel: string, text: string): string[] {
  const problems: string[] = [];
  const decls = parseBicep(text, rel).declarations;
  const secure = new Set(decls.filter((d) => d.kind === 'param' && d.decorators.some(isSecureDecorator)).map((d) => d.name));
  for (const d of decls) {
    if (d.kind === 'param' && secure.has(d.name) && d.valueTokens.length > 0) {
      problems.push(`${rel}:${d.line}: @secure() parameter ${d.name} has a default value`);
    }
    if (d.kind === 'output') {
      if (d.decorators.some(isSecureDecorator)) problems.push(`${rel}:${d.line}: output ${d.name} is @secure(): outputs must not carry secrets`);
      const used = code(d.valueTokens).filter((t) => t.kind === 'word' && secure.has(t.text));
      if (used.length > 0) problems.push(`${rel}:${d.line}: output ${d.name} uses the @secure() parameter ${used[0].text}`);
    }
  }
  return problems;
}

/** A @secure() parameter of main.bicep may only get its value from the environment (`${VAR}`). */
function parameterFileRules(root: string): string[] {
  const mainFile = path.join(root, 'infra/main.bicep');
  const paramsFile = path.join(root, 'infra/main.parameters.json');
  if (!fs.existsSync(mainFile) || !fs.existsSync(paramsFile)) return [];
  const secure = parseBicep(fs.readFileSync(mainFile, 'utf8'), mainFile)
    .declarations.filter((d) => d.kind === 'param' && d.decorators.some(isSecureDecorator))
    .map((d) => d.name);
  const params = (JSON.parse(fs.readFileSync(paramsFile, 'utf8')) as { parameters?: Record<string, { value?: unknown }> }).parameters ?? {};
  const problems: string[] = [];
  for (const name of secure) {
    const value = params[name]?.value;
    if (value !== undefined && !(typeof value === 'string' && /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(value))) {
      problems.push(`infra/main.parameters.json: secure parameter ${name} must be "\${ENV_VAR}" (no default), not a literal`);
    }
  }
  return problems;
}

function isSecureDecorator(d: string): boolean {
  return /^@(sys\.)?secure\(\)$/.test(d);
}

/**
 * Runs of 32+ base64/hex-alphabet characters that look random: hex-only runs, or mixed-case
 * letters with digits and high entropy. GUIDs (role and tenant ids) and `sha256:` digests are
 * identifiers, not secrets, and are skipped.
 */
export function randomLookingTokens(line: string): string[] {
  // Inside a URL, '/' separates path segments: judge each segment on its own.
  const urls = [...line.matchAll(/https?:\/\/[^\s'"]+/g)].map((m) => [m.index ?? 0, (m.index ?? 0) + m[0].length] as const);
  const found: string[] = [];
  for (const m of line.matchAll(/[A-Za-z0-9+/=_-]{32,}/g)) {
    const at = m.index ?? 0;
    if (urls.some(([from, to]) => at >= from && at < to)) {
      found.push(...m[0].split('/').filter((segment) => looksRandom(segment, line, at)));
      continue;
    }
    if (looksRandom(m[0], line, at)) found.push(m[0]);
  }
  return found;
}

function looksRandom(token: string, line: string, at: number): boolean {
  if (token.length < 32) return false;
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(token)) return false;
  if (line.slice(Math.max(0, at - 7), at).endsWith('sha256:')) return false;
  const hex = /^[0-9a-f]{32,}$/i.test(token);
  const mixed = /[a-z]/.test(token) && /[A-Z]/.test(token) && /[0-9]/.test(token);
  return hex || (mixed && entropy(token) >= 4.2);
}

/** Shannon entropy in bits per character. */
function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / s.length) * Math.log2(n / s.length);
  return h;
}
