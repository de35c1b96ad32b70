/**
 * Deprecated config forms keep loading (style point 15: deprecate, don't break) and say so once
 * per process, as a Node `DeprecationWarning` with a stable code: on stderr for the CLI, in the
 * logs for the Functions app. A `watch` that reloads its config does not repeat it.
 */

const warned = new Set<string>();

/** Emits the warning the first time `code` is seen in this process. */
export function warnDeprecated(code: string, message: string): void {
  if (warned.has(code)) return;
  warned.add(code);
  process.emitWarning(message, { type: 'DeprecationWarning', code });
}
