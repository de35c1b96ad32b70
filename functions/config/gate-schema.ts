/**
 * The `gates:` section (issue #5): each gate is evaluated on the pinned digest and all must
 * pass. Image gates are merged over `defaults.gates`, the image winning per gate; `false`
 * turns a default gate off for one image. Durations and sizes come out as numbers.
 */
import { z } from 'zod';
import { durationField, matching, regexField, registryResourceIdField, sizeField, text } from './schema-fields';
import { referrersGateSchema, signatureGateSchema } from './signature-schema';
import { vulnerabilitiesGateSchema } from './vulnerabilities-schema';

/** Turns a gate into "this gate, or false to turn the default off". */
function switchable<T extends z.ZodType>(schema: T) {
  return z.union([z.literal(false), schema]).optional();
}

/** A variable name a program can receive. */
const envName = matching(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name such as TRIVY_USERNAME');

/** The `command:` gate: functions/gates/command.ts says what the program gets. */
const commandGate = z.strictObject({
  /** argv of the program (no shell; `$IMAGE` and the like are expanded), or a script for `/bin/sh -c`. */
  run: z.union([text, z.array(text).min(1)]),
  timeout: durationField.optional(),
  /** One run per platform with `PLATFORM` set, instead of one run with `PLATFORMS`. */
  perPlatform: z.boolean().optional(),
  /** Names passed through from basegate's environment (an allow-list), or name → value. */
  env: z.union([z.array(envName), z.record(envName, z.string())]).optional(),
});

const acrTaskGate = z
  .strictObject({
    registry: registryResourceIdField,
    task: text.optional(),
    /** A task YAML file, relative to the config file. */
    encodedTask: text.optional(),
    /** Name of the argument carrying the pinned image reference. */
    argument: text.optional(),
    timeout: durationField.optional(),
  })
  .superRefine((gate, ctx) => {
    if ((gate.task === undefined) === (gate.encodedTask === undefined)) {
      ctx.issues.push({ code: 'custom', message: 'expected exactly one of task or encodedTask', input: gate, params: { expected: 'exactly one of task or encodedTask' } });
    }
  });

/** The gates of one image (or of `defaults`). */
export const gatesSchema = z.strictObject({
  /** Compressed size per platform, with its attestations (and every attachment on its own). */
  maxSize: switchable(sizeField),
  /** Bytes one promotion writes in all (every manifest, platform, attachment and referrer); always on, default 10 GiB. */
  maxTotalSize: sizeField.optional(),
  /** Manifests one promotion writes in all; always on, default 500. */
  maxManifests: z.int().min(1).max(100_000).optional(),
  /** The digest was first seen at least this long ago. */
  cooldown: switchable(durationField),
  /** The image config's `created` is not older than this. */
  maxAge: switchable(durationField),
  /** Required labels: name → regex the value must match. */
  labels: switchable(z.record(text, regexField)),
  /** A signature over the digest verifies under a policy (signature-schema.ts). */
  signature: signatureGateSchema,
  /** Something (of an artifact type) refers to the digest: existence only. */
  referrers: referrersGateSchema,
  command: switchable(commandGate),
  /** A scanner report judged by severity and delta against the promoted digest. */
  vulnerabilities: switchable(vulnerabilitiesGateSchema(commandGate)),
  acrTask: switchable(acrTaskGate),
  /** The digest waits for a person's decision. */
  approval: switchable(z.literal('manual')),
});

/** Gates as written, after parsing (durations in ms, sizes in bytes, regexes compiled). */
export type GatesDocument = z.output<typeof gatesSchema>;
