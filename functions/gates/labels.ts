/**
 * Gate `labels`: each platform's image config carries every required label, and its value
 * matches the label's regular expression (an empty expression only asks for presence). The
 * expressions are compiled when the gate is built, so a bad one is a config error, not a verdict.
 */
import { compileSafeRegex, SafeRegex } from '../config/safe-regex';
import { ConfigError } from '../errors';
import type { Gate } from '../pipeline/gate-port';
import { judgedPlatforms, noPlatformReason } from './judged-platforms';

/** Options of {@link labelsGate}. */
export interface LabelsGateOptions {
  /** Label name → regular expression its value must match (unanchored, RE2 syntax; config compiles them). */
  labels: Readonly<Record<string, string | SafeRegex>>;
}

/** Longest label value quoted in a reason: values come from untrusted images. */
const MAX_QUOTED = 120;

/** Fails for each platform lacking a required label, or whose value does not match. */
export function labelsGate(options: LabelsGateOptions): Gate {
  const required = Object.entries(options.labels).map(([name, source]) => {
    if (source instanceof SafeRegex) return { name, source: source.source, pattern: source };
    try {
      return { name, source, pattern: compileSafeRegex(source) };
    } catch (err) {
      throw new ConfigError(`label ${JSON.stringify(name)}: ${(err as Error).message}`, { path: `gates.labels.${name}` });
    }
  });
  return {
    name: 'labels',
    async evaluate(context) {
      const { inspector } = context;
      const platforms = await judgedPlatforms(context);
      if (platforms.length === 0) return { gate: 'labels', outcome: 'fail', reasons: [noPlatformReason(context)] };
      const perPlatform = await Promise.all(
        platforms.map(async (p) => {
          const labels = (await inspector.config(p)).config?.Labels ?? {};
          return required.flatMap(({ name, source, pattern }) => {
            const value = labels[name];
            if (value === undefined) return [`${p.platform}: label ${name} is missing`];
            return pattern.test(value) ? [] : [`${p.platform}: label ${name}=${JSON.stringify(quote(value))} does not match /${source}/`];
          });
        }),
      );
      const reasons = perPlatform.flat();
      return { gate: 'labels', outcome: reasons.length ? 'fail' : 'pass', reasons, detail: { required: Object.fromEntries(required.map((r) => [r.name, r.source])) } };
    },
  };
}

function quote(value: string): string {
  return value.length > MAX_QUOTED ? `${value.slice(0, MAX_QUOTED)}...` : value;
}
