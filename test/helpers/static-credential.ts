/**
 * A `TokenCredential` that hands out a fixed token: the stand-in for Azure AD in front of the
 * loopback contract fakes (which check that exactly this token arrives). It records the scopes
 * asked for, so a test can check the audience the code requested.
 */
import type { AccessToken, TokenCredential } from '@azure/identity';

export interface StaticCredential extends TokenCredential {
  scopes: string[];
}

export function staticCredential(token: string): StaticCredential {
  const scopes: string[] = [];
  return {
    scopes,
    async getToken(scope: string | string[]): Promise<AccessToken> {
      scopes.push(...(Array.isArray(scope) ? scope : [scope]));
      return { token, expiresOnTimestamp: Date.now() + 3600_000 };
    },
  };
}
