/**
 * The Functions entry registers exactly the expected functions, each on its trigger: checked on
 * `registerFunctions` with a recording `app`, and on functions/app.ts itself, imported with the
 * recorder in place of `@azure/functions`' `app` (outside the host the real one drops
 * registrations in test mode). A bad config makes the import throw: start-up fails loudly.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HOST_STORAGE_CONNECTION } from '../../functions/config/app-settings';
import { QUEUES } from '../../functions/azure/names';
import { registerFunctions } from '../../functions/handlers/register-functions';
import { recordingApp, type RecordingApp } from '../helpers/recording-app';

const SCHEDULES = { detectSchedule: '0 */5 * * * *', poisonSchedule: '0 0 * * * *' };
const QUEUE_AND_TIMER_FUNCTIONS = ['timer:detect', 'storageQueue:validate', 'storageQueue:promote', 'storageQueue:rebuild', 'timer:poisonWatch'];
const HTTP_FUNCTIONS = ['webhookDockerHub', 'webhookAcr', 'webhookEventGrid', 'webhookGeneric', 'checkImage', 'approvalDecision', 'status'].map((n) => `http:${n}`);

describe('registerFunctions', () => {
  it('registers the detect and poison timers and the three queue triggers, nothing else', () => {
    const recorder = recordingApp();
    registerFunctions(recorder.app, SCHEDULES, () => Promise.reject(new Error('not invoked here')));
    expect(recorder.order).toEqual(QUEUE_AND_TIMER_FUNCTIONS);
    expect(recorder.timers.get('detect')).toMatchObject({ schedule: SCHEDULES.detectSchedule });
    expect(recorder.timers.get('poisonWatch')).toMatchObject({ schedule: SCHEDULES.poisonSchedule });
    expect(Object.fromEntries([...recorder.queues].map(([name, o]) => [name, [o.queueName, o.connection]]))).toEqual({
      validate: [QUEUES.validate, HOST_STORAGE_CONNECTION],
      promote: [QUEUES.promote, HOST_STORAGE_CONNECTION],
      rebuild: [QUEUES.rebuild, HOST_STORAGE_CONNECTION],
    });
    for (const o of [...recorder.timers.values(), ...recorder.queues.values()]) expect(typeof o.handler).toBe('function');
  });
});

describe('functions/app.ts', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-app-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Imports app.ts afresh with `env` as process.env and the recorder as `app`. */
  function importApp(env: Record<string, string>): RecordingApp {
    const recorder = recordingApp();
    const saved = process.env;
    process.env = { ...env };
    try {
      jest.isolateModules(() => {
        jest.doMock('@azure/functions', () => ({ ...jest.requireActual('@azure/functions'), app: recorder.app }));
        require('../../functions/app');
      });
    } finally {
      process.env = saved;
      jest.dontMock('@azure/functions');
    }
    return recorder;
  }

  it('registers the queue side with the schedule from the app settings, and the HTTP routes', () => {
    const config = path.join(dir, 'basegate.yaml');
    fs.writeFileSync(config, 'target: { registry: 127.0.0.1:5000 }\nimages:\n  - source: docker.io/library/node\n    tags: ["20-alpine"]\n    repository: base/node\n');
    const recorder = importApp({ BASEGATE_CONFIG_PATH: config, BASEGATE_DETECT_SCHEDULE: '0 */7 * * * *', AzureWebJobsStorage: 'UseDevelopmentStorage=true' });
    expect(recorder.order).toEqual([...QUEUE_AND_TIMER_FUNCTIONS, ...HTTP_FUNCTIONS]);
    expect(recorder.timers.get('detect')?.schedule).toBe('0 */7 * * * *');
    expect(recorder.timers.get('poisonWatch')?.schedule).toBe('0 */10 * * * *');
  });

  it('fails loudly at import when basegate.yaml is wrong, registering nothing', () => {
    const config = path.join(dir, 'basegate.yaml');
    fs.writeFileSync(config, 'target: { registry: 127.0.0.1:5000 }\nimages:\n  - source: docker.io/library/node\n    tagz: ["20-alpine"]\n');
    expect(() => importApp({ BASEGATE_CONFIG_PATH: config, AzureWebJobsStorage: 'UseDevelopmentStorage=true' })).toThrow(/basegate\.yaml.*tagz/s);
  });

  it('fails loudly at import when the storage setting is missing', () => {
    expect(() => importApp({ BASEGATE_CONFIG_PATH: path.join(dir, 'none.yaml') })).toThrow(/AzureWebJobsStorage__queueServiceUri: missing/);
  });
});
