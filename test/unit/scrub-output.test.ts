/** Program output made safe to store and show (functions/gates/scrub-output.ts). */
import { longestSecret, scrubOutput, stripControl } from '../../functions/gates/scrub-output';

describe('stripControl', () => {
  it.each([
    ['SGR colours', '\u001b[1;31mCRITICAL\u001b[0m', 'CRITICAL'],
    ['cursor movement and erase', 'a\u001b[2K\u001b[1Ab', 'ab'],
    ['an OSC window title ended by BEL', '\u001b]0;pwned\u0007text', 'text'],
    ['an OSC 8 hyperlink ended by ST', '\u001b]8;;https://evil.example\u001b\\link\u001b]8;;\u001b\\', 'link'],
    ['a lone carriage return (a progress bar overwriting a line)', 'safe\rEVIL', 'safe\nEVIL'],
    ['CRLF', 'a\r\nb', 'a\nb'],
    ['8-bit CSI and other C1', 'a\u009b31mb\u0085c', 'a31mbc'],
    ['backspace, bell, NUL, DEL', 'a\bb\u0007c\u0000d\u007fe', 'abcde'],
    ['bidi overrides and isolates (Trojan Source)', 'x\u202eevil\u202c\u2066y\u2069', 'xevily'],
    ['tab and newline kept', 'a\tb\nc', 'a\tb\nc'],
    ['unicode text kept', 'café ✓ 日本', 'café ✓ 日本'],
    ['a trailing lone ESC', 'end\u001b', 'end'],
  ])('%s', (_what, input, expected) => {
    expect(stripControl(input)).toBe(expected);
  });
});

describe('scrubOutput', () => {
  it('replaces every secret, longest first, and strips control', () => {
    expect(scrubOutput('user:hunter22 token=hunter22-long \u001b[31mhunter22\u001b[0m', ['hunter22', 'hunter22-long'])).toBe('user:*** token=*** ***');
  });

  it('finds a secret split by an escape sequence', () => {
    expect(scrubOutput('pass=hun\u001b[0mter22', ['hunter22'])).toBe('pass=***');
  });

  it('leaves values too short to be secrets, and empty ones', () => {
    expect(scrubOutput('yes abc', ['yes', '', 'abc'])).toBe('yes abc');
  });

  it('measures the longest secret it searches for, in bytes', () => {
    expect(longestSecret(['abc', 'hunter22', 'pässwörd'])).toBe(10);
  });
});
