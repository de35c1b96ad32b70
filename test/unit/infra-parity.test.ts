/**
 * Parity between infra/ (Bicep) and the code (issue #8): app settings, queues and tables.
 * The second half plants mismatches in a temp copy and shows the check catches each one.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { APP_SETTINGS } from '../../functions/config/app-settings';
import { POISON_QUEUES, QUEUES, TABLES } from '../../functions/azure/names';
import { ParityInput, checkParity, findHardCodedNames } from '../helpers/infra-parity';

const ROOT = path.resolve(__dirname, '../..');

/** Declared in the Bicep for the Functions host itself; the code never reads them. */
const HOST_OWNED: Record<string, string> = {
  AzureWebJobsStorage__credential: 'the host selects the managed identity for its storage connection',
  AzureWebJobsStorage__clientId: 'the host picks the user-assigned identity by it (the code uses AZURE_CLIENT_ID)',
  AzureWebJobsStorage__blobServiceUri: 'the host keeps leases, timer schedules and keys in blobs; the code uses no blobs',
  APPLICATIONINSIGHTS_CONNECTION_STRING: 'the host sends logs, requests and metrics to Application Insights',
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'the host authenticates telemetry with Entra ID (the component has local auth disabled)',
  FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: 'the host refuses larger request bodies before buffering them (the code checks its own 256 KiB limit while reading)',
};

/** Read by the code for local runs, never declared in Azure. */
const LOCAL_ONLY: Record<string, string> = {
  AzureWebJobsStorage: 'an Azurite connection string for local runs; in Azure it would silently override the identity-based AzureWebJobsStorage__* settings',
  BASEGATE_WEBHOOK_SECRET_URI: 'deprecated shared webhook secret, read only so that an app upgraded in place keeps working; the Bicep sets one secret per sender',
};

/** No Bicep may declare these. */
const FORBIDDEN: Record<string, string> = {
  FUNCTIONS_WORKER_RUNTIME: 'Flex Consumption rejects it: the runtime is functionAppConfig.runtime',
  WEBSITE_RUN_FROM_PACKAGE: 'Flex Consumption rejects it: the package is functionAppConfig.deployment.storage',
  WEBSITE_CONTENTAZUREFILECONNECTIONSTRING: 'a connection string with an account key, and Flex Consumption has no content share',
};

function input(root: string, overrides: Partial<ParityInput> = {}): ParityInput {
  return {
    root,
    codeSettings: Object.values(APP_SETTINGS),
    queues: [...Object.values(QUEUES), ...POISON_QUEUES],
    tables: Object.values(TABLES),
    hostOwned: HOST_OWNED,
    localOnly: LOCAL_ONLY,
    forbidden: { ...FORBIDDEN, ...LOCAL_ONLY },
    ...overrides,
  };
}

function sourceScan(root: string) {
  return {
    root,
    names: [...Object.values(QUEUES), ...POISON_QUEUES, ...Object.values(TABLES)],
    sourceDir: path.join(root, 'functions'),
    namesFile: path.join(root, 'functions/azure/names.ts'),
  };
}

describe('infra parity with the code', () => {
  const report = checkParity(input(ROOT));

  it('finds no mismatch', () => {
    expect(report.problems).toEqual([]);
  });

  it('reads every declared setting, queue and table (the reader really found them)', () => {
    expect(report.declaredSettings).toEqual(expect.arrayContaining(['AZURE_CLIENT_ID', 'BASEGATE_DETECT_SCHEDULE', 'AzureWebJobsStorage__queueServiceUri']));
    expect(new Set(report.declaredSettings)).toEqual(
      new Set([...Object.values(APP_SETTINGS).filter((n) => !(n in LOCAL_ONLY)), ...Object.keys(HOST_OWNED)]),
    );
    expect([...report.declaredQueues].sort()).toEqual(['basegate-promote', 'basegate-promote-poison', 'basegate-rebuild', 'basegate-rebuild-poison', 'basegate-validate', 'basegate-validate-poison']);
    expect([...report.declaredTables].sort()).toEqual(['basegateAudit', 'basegateState']);
  });

  it('queue and table names are written out only in functions/azure/names.ts', () => {
    expect(findHardCodedNames(sourceScan(ROOT))).toEqual([]);
  });
});

describe('infra parity check fails on a planted mismatch', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-parity-'));
    fs.cpSync(path.join(ROOT, 'infra'), path.join(tmp, 'infra'), { recursive: true });
    fs.mkdirSync(path.join(tmp, 'functions/azure'), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'functions/azure/names.ts'), path.join(tmp, 'functions/azure/names.ts'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const functionApp = () => path.join(tmp, 'infra/modules/function-app.bicep');
  const storage = () => path.join(tmp, 'infra/modules/storage.bicep');
  const edit = (file: string, from: string | RegExp, to: string) => {
    const before = fs.readFileSync(file, 'utf8');
    const after = before.replace(from, to);
    expect(after).not.toBe(before); // the plant really happened
    fs.writeFileSync(file, after);
  };

  it('a setting the code reads is missing from the Bicep', () => {
    edit(functionApp(), /^\s*BASEGATE_POISON_SCHEDULE: .*\n/m, '');
    expect(checkParity(input(tmp)).problems).toEqual(['app setting BASEGATE_POISON_SCHEDULE is read by the code but not declared in the Bicep']);
  });

  it('the code reads a new setting nobody declared', () => {
    const problems = checkParity(input(tmp, { codeSettings: [...Object.values(APP_SETTINGS), 'BASEGATE_NEW_KNOB'] })).problems;
    expect(problems).toEqual(['app setting BASEGATE_NEW_KNOB is read by the code but not declared in the Bicep']);
  });

  it('the Bicep declares a setting no code reads', () => {
    edit(functionApp(), 'BASEGATE_CONFIG_PATH:', "BASEGATE_STALE: 'x'\n  BASEGATE_CONFIG_PATH:");
    expect(checkParity(input(tmp)).problems).toEqual(['app setting BASEGATE_STALE is declared in the Bicep but never read by the code']);
  });

  it('a setting Flex Consumption rejects, or the local-only connection string, is declared', () => {
    edit(functionApp(), 'BASEGATE_CONFIG_PATH:', "FUNCTIONS_WORKER_RUNTIME: 'node'\n  AzureWebJobsStorage: 'UseDevelopmentStorage=true'\n  BASEGATE_CONFIG_PATH:");
    const problems = checkParity(input(tmp)).problems;
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^app setting FUNCTIONS_WORKER_RUNTIME must not be declared/);
    expect(problems[1]).toMatch(/^app setting AzureWebJobsStorage must not be declared/);
  });

  it('an allow-listed host setting disappears from the Bicep', () => {
    edit(functionApp(), /^\s*APPLICATIONINSIGHTS_AUTHENTICATION_STRING: .*\n/m, '');
    expect(checkParity(input(tmp)).problems).toEqual([expect.stringMatching(/^host setting APPLICATIONINSIGHTS_AUTHENTICATION_STRING is allow-listed but not declared/)]);
  });

  it('app settings the reader cannot see are refused, not ignored', () => {
    edit(functionApp(), 'properties: appSettings', 'properties: union(appSettings, {})');
    expect(checkParity(input(tmp)).problems).toEqual(expect.arrayContaining([expect.stringMatching(/cannot read the app settings/)]));
  });

  it('a queue and a table drift', () => {
    edit(storage(), "  'basegate-rebuild-poison'\n", '');
    edit(storage(), "'basegateAudit'", "'basegateAudits'");
    expect(checkParity(input(tmp)).problems).toEqual([
      'queue basegate-rebuild-poison is used by the code but not declared in the Bicep',
      'table basegateAudit is used by the code but not declared in the Bicep',
      'table basegateAudits is declared in the Bicep but not used by the code',
    ]);
  });

  it('queue names the reader cannot resolve are refused', () => {
    edit(storage(), 'for queueName in queueNames:', "for queueName in concat(queueNames, ['extra']):");
    expect(checkParity(input(tmp)).problems).toEqual(expect.arrayContaining([expect.stringMatching(/cannot read the queues names/)]));
  });

  it('a queue name written out in code instead of imported from names.ts', () => {
    fs.mkdirSync(path.join(tmp, 'functions/pipeline'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'functions/pipeline/sneaky.ts'), "/** Sends to `basegate-promote` (a comment may name it). */\nexport const q = 'basegate-promote';\n");
    expect(findHardCodedNames(sourceScan(tmp))).toEqual(['functions/pipeline/sneaky.ts:2: writes out basegate-promote; import it from functions/azure/names.ts']);
  });
});
