/**
 * Schemas of the Distribution API bodies the client reads, keeping only the fields it uses.
 */
import { z } from 'zod';

/**
 * A token endpoint's answer (https://distribution.github.io/distribution/spec/auth/token/#token-response-fields):
 * `token`, or `access_token` (OAuth2 naming), and an optional lifetime in seconds.
 */
export const tokenResponseSchema = z
  .looseObject({
    token: z.string().min(1).optional(),
    access_token: z.string().min(1).optional(),
    expires_in: z.number().positive().optional(),
  })
  .refine((r) => r.token !== undefined || r.access_token !== undefined, 'a token or an access_token');
export type TokenResponse = z.infer<typeof tokenResponseSchema>;

/** `GET /v2/<name>/tags/list` (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-tags); some registries send `tags: null`. */
export const tagListSchema = z.looseObject({
  name: z.string().optional(),
  tags: z.array(z.string()).nullish(),
});

/** An error body (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes). */
export const errorBodySchema = z.looseObject({
  errors: z.array(z.looseObject({ code: z.string(), message: z.string().optional(), detail: z.unknown().optional() })),
});
