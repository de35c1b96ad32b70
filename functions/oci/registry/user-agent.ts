/** Names basegate on every request (registry operators read it in their logs; Docker Hub asks for it). */
import type { Decorator } from './http';

/** Sets `user-agent` on every request that has none. */
export function userAgent(value: string): Decorator {
  return (next) => (req) => next(req.headers['user-agent'] ? req : { ...req, headers: { ...req.headers, 'user-agent': value } });
}
