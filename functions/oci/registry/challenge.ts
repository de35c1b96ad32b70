/**
 * Parses `WWW-Authenticate` (RFC 9110 §11.6.1): one or more challenges, each a scheme followed
 * by comma-separated `name=value` parameters whose values are tokens or quoted strings.
 * Registries answer `Basic realm="..."` (htpasswd) or `Bearer realm="...",service="...",scope="..."`
 * (https://distribution.github.io/distribution/spec/auth/token/).
 */

/** One authentication challenge: scheme in lowercase, parameter names in lowercase. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

const TOKEN_CHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

/** Every challenge of one or more `WWW-Authenticate` values, in order. */
export function parseChallenges(value: string | string[] | undefined): Challenge[] {
  if (value === undefined) return [];
  const text = Array.isArray(value) ? value.join(', ') : value;
  const out: Challenge[] = [];
  let current: Challenge | undefined;
  let i = 0;
  const skip = (chars: RegExp): void => {
    while (i < text.length && chars.test(text[i])) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < text.length && TOKEN_CHAR.test(text[i])) i++;
    return text.slice(start, i);
  };
  const quoted = (): string => {
    let result = '';
    for (i++; i < text.length && text[i] !== '"'; i++) {
      if (text[i] === '\\' && i + 1 < text.length) i++;
      result += text[i];
    }
    i++; // closing quote
    return result;
  };
  while (i < text.length) {
    skip(/[\s,]/);
    const name = token();
    if (!name) {
      i++; // a character no grammar allows here: skip it rather than loop
      continue;
    }
    skip(/[ \t]/);
    if (text[i] === '=' && current) {
      i++;
      skip(/[ \t]/);
      current.params[name.toLowerCase()] = text[i] === '"' ? quoted() : token();
    } else {
      current = { scheme: name.toLowerCase(), params: {} };
      out.push(current);
    }
  }
  return out;
}

/** The challenge basegate answers: Bearer before Basic; undefined when there is neither. */
export function pickChallenge(challenges: Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer' && c.params.realm) ?? challenges.find((c) => c.scheme === 'basic');
}
