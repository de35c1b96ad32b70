/**
 * Program output made safe to store and show: a scanner's output (the `command` gate's tail,
 * and the last line its reason quotes) goes into the state, the audit, `basegate status` and
 * `/api/status`, so before it is stored:
 * - every configured secret it contains (the values the gate passed through `env:`, and the
 *   secrets basegate itself resolved: registry passwords and tokens, webhook secrets, Key Vault
 *   secrets) is replaced by `***`, the longest first, so a scanner echoing its credentials
 *   (trivy `--debug` prints its registry login) leaks nothing;
 * - terminal control is removed: ANSI escape sequences (CSI `ESC [ ... m`, OSC `ESC ] ... BEL`,
 *   two-character `ESC x`), the other C0 and C1 control characters but tab and newline (a lone
 *   carriage return becomes a newline, so a progress bar cannot overwrite a line a person
 *   reads), and the Unicode bidirectional overrides that make text read other than it is
 *   (CVE-2021-42574, "Trojan Source").
 */

/** A secret shorter than this is not searched for: replacing every `ab` would garble the output and protect nothing. */
export const MIN_SECRET_LENGTH = 4;

/** What replaces a secret. */
export const REDACTED = '***';

// ESC followed by: CSI (parameters, intermediates, a final byte), OSC / DCS / PM / APC (up to BEL or ST), or one more character.
const ESCAPE_SEQUENCE = /\u001b(?:\[[0-?]*[ -/]*[@-~]?|[\]PX^_][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[\s\S]?)/g;
// C0 but tab and newline, DEL, C1 (8-bit CSI is \u009b), and the bidirectional embeddings, overrides and isolates.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Removes terminal control sequences and control characters (see the module comment); keeps tab and newline. */
export function stripControl(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(ESCAPE_SEQUENCE, '').replace(CONTROL, '');
}

/** Replaces every secret in `text` by `***` (longest first, so one secret inside another leaves nothing), then strips control. */
export function scrubOutput(text: string, secrets: Iterable<string>): string {
  const sorted = [...new Set(secrets)].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  const redact = (t: string): string => sorted.reduce((acc, secret) => acc.split(secret).join(REDACTED), t);
  // Before and after stripping: a secret split by an escape sequence (`sec\u001b[0mret`) shows whole once the sequence is gone.
  return redact(stripControl(redact(text)));
}

/** The longest secret that would be searched for: a tail must keep this many more bytes so a secret cut at its start is still found. */
export function longestSecret(secrets: Iterable<string>): number {
  let longest = 0;
  for (const s of secrets) if (s.length >= MIN_SECRET_LENGTH) longest = Math.max(longest, Buffer.byteLength(s));
  return longest;
}
