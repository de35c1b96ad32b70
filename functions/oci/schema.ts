/**
 * Schemas of the OCI documents basegate reads, keeping only the fields the code uses
 * (unknown fields pass through untouched: manifests are copied byte for byte, never re-serialised).
 * Image manifest: https://github.com/opencontainers/image-spec/blob/main/manifest.md
 * Image index:    https://github.com/opencontainers/image-spec/blob/main/image-index.md
 * Docker v2.2:    https://distribution.github.io/distribution/spec/manifest-v2-2/
 */
import { z } from 'zod';

const digest = z.string().regex(/^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/, 'a sha256 or sha512 digest');

export const platformSchema = z.looseObject({
  architecture: z.string(),
  os: z.string(),
  variant: z.string().optional(),
  'os.version': z.string().optional(),
});
export type Platform = z.infer<typeof platformSchema>;

export const descriptorSchema = z.looseObject({
  mediaType: z.string(),
  digest,
  size: z.number().int().nonnegative(),
  platform: platformSchema.optional(),
  artifactType: z.string().optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type Descriptor = z.infer<typeof descriptorSchema>;

export const imageManifestSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema).max(10_000),
  subject: descriptorSchema.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type ImageManifest = z.infer<typeof imageManifestSchema>;

export const indexSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  manifests: z.array(descriptorSchema).max(10_000),
  subject: descriptorSchema.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type ImageIndex = z.infer<typeof indexSchema>;

/** The parts of an image config (https://github.com/opencontainers/image-spec/blob/main/config.md) gates read. */
export const imageConfigSchema = z.looseObject({
  created: z.string().optional(),
  architecture: z.string().optional(),
  os: z.string().optional(),
  config: z.looseObject({ Labels: z.record(z.string(), z.string()).nullish() }).nullish(),
});
export type ImageConfig = z.infer<typeof imageConfigSchema>;
