/** The commands' usage lines, apart from the commands so that `basegate --help` loads none of them. */
export const APPROVE_USAGE = 'basegate approve|reject [--config FILE] IMAGE:TAG@DIGEST [--reason TEXT] [--by NAME]';
export const DIFF_USAGE = 'basegate diff [--config FILE] [--state FILE] IMAGE:TAG [--from DIGEST] [--to DIGEST] [--json]';
export const CHECK_USAGE = 'basegate check [--config FILE] [--state FILE] [--json]';
export const REPLAY_POISON_USAGE = 'basegate replay-poison [--connection-string STR] [--queue validate|promote|rebuild]... [--dry-run] [--max N] [--config FILE] [--json]';
export const ROLLBACK_USAGE = 'basegate rollback [--config FILE] IMAGE:TAG --to DIGEST|IMMUTABLE_TAG';
export const STATUS_USAGE = 'basegate status [--config FILE] [--state FILE] [--json]';
export const SYNC_USAGE = 'basegate sync [--config FILE] [--state FILE] [--json] [--dry-run] [--force]';
export const WATCH_USAGE = 'basegate watch [--config FILE] [--state FILE] [--interval 15m | --cron "0 */15 * * * *"]';
