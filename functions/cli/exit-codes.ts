/** Exit codes of the `basegate` CLI: stable, documented in the README. */
export const EXIT = {
  /** Everything ended promoted, unchanged, pending or rejected by a gate. */
  OK: 0,
  /** Something failed operationally (registry down, tag missing, promotion failed). */
  FAILED: 1,
  /** Bad config or usage: nothing was touched. */
  USAGE: 2,
  /** The state is locked by another basegate process. */
  LOCKED: 3,
  /** Stopped by SIGINT/SIGTERM before finishing. */
  INTERRUPTED: 130,
} as const;
