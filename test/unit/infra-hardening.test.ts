/**
 * The deployment is hardened as issue #15 asks, and the checks fail on each planted regression:
 * each case copies infra/ and the docs to a temp directory, plants one mistake, and shows the
 * check reports exactly it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HTTP_ROUTES } from '../../functions/handlers/http/register-http-routes';
import { MAX_WEBHOOK_BODY } from '../../functions/webhooks/bounded-body';
import { checkApiAuth, checkBodyLimit, checkDocumentedKeys, checkPublishing, checkPurgeProtection, checkRegistryRoles } from '../helpers/infra-hardening';

const ROOT = path.resolve(__dirname, '../..');
/** Where the host serves each webhook route (host.json keeps the default `api` route prefix). */
const WEBHOOK_PATHS = HTTP_ROUTES.filter((r) => r.access === 'webhook').map((r) => `/api/${r.route}`);
const all = (root: string) => [
  ...checkApiAuth(root, WEBHOOK_PATHS),
  ...checkDocumentedKeys(root),
  ...checkBodyLimit(root, MAX_WEBHOOK_BODY),
  ...checkPublishing(root),
  ...checkPurgeProtection(root),
  ...checkRegistryRoles(root),
];

describe('hardening of infra/ and the docs', () => {
  it('finds nothing wrong in the real files', () => {
    expect(WEBHOOK_PATHS).toEqual(['/api/webhooks/dockerhub', '/api/webhooks/acr', '/api/webhooks/eventgrid', '/api/webhooks/generic']);
    expect(JSON.parse(fs.readFileSync(path.join(ROOT, 'host.json'), 'utf8')).extensions?.http?.routePrefix ?? 'api').toBe('api');
    expect(all(ROOT)).toEqual([]);
  });
});

describe('the hardening checks fail on a planted regression', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-hardening-'));
    fs.cpSync(path.join(ROOT, 'infra'), path.join(tmp, 'infra'), { recursive: true });
    fs.cpSync(path.join(ROOT, 'docs'), path.join(tmp, 'docs'), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'README.md'), path.join(tmp, 'README.md'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const edit = (rel: string, from: string | RegExp, to: string) => {
    const file = path.join(tmp, rel);
    const before = fs.readFileSync(file, 'utf8');
    const after = before.replace(from, to);
    expect(after).not.toBe(before);
    fs.writeFileSync(file, after);
  };

  it.each([
    ['FTP on', 'infra/modules/function-app.bicep', "ftpsState: 'Disabled'", "ftpsState: 'FtpsOnly'", /ftpsState must be 'Disabled'/],
    ['basic publishing on (SCM)', 'infra/modules/function-app.bicep', /name: 'scm'\n  properties: \{\n    allow: false/, "name: 'scm'\n  properties: {\n    allow: true", /basicPublishingCredentialsPolicies 'scm' must be/],
    ['basic publishing policy for FTP removed', 'infra/modules/function-app.bicep', "  name: 'ftp'\n", "  name: 'ftp-disabled'\n", /no basicPublishingCredentialsPolicies 'ftp' resource/],
    ['purge protection off by default', 'infra/main.bicep', 'param keyVaultPurgeProtection bool = true', 'param keyVaultPurgeProtection bool = false', /keyVaultPurgeProtection must default to true/],
    ['the vault named the same after every azd down', 'infra/main.bicep', "name: empty(keyVaultName) ? 'kv-${resourceToken}' : keyVaultName", "name: 'kv-${resourceToken}'", /vault name must come from keyVaultName/],
    ['AcrPush granted on a registry the Bicep creates (mode)', 'infra/main.bicep', 'var baseRegistryAbac = createBaseRegistry || baseRegistryAbacMode', 'var baseRegistryAbac = baseRegistryAbacMode', /baseRegistryAbac must be true for a registry the template creates/],
    ['AcrPush granted on a registry the Bicep creates (condition)', 'infra/modules/base-registry-access.bicep', 'if (lockImmutableTags && !abacMode)', 'if (lockImmutableTags)', /AcrPush \(tagLockRbac\) must be assigned only if/],
    ['a created registry left in RBAC mode', 'infra/modules/container-registry.bicep', "roleAssignmentMode: 'AbacRepositoryPermissions'", "roleAssignmentMode: 'LegacyRegistryPermissions'", /roleAssignmentMode 'AbacRepositoryPermissions'/],
    ['the host buffering bodies larger than the webhook limit', 'infra/modules/function-app.bicep', "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: '262144'", "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: '104857600'", /FUNCTIONS_REQUEST_BODY_SIZE_LIMIT must be '262144'/],
    ['a webhook route documented with the host key', 'docs/webhooks.md', '`az functionapp function keys list -g <rg> -n <app> --function-name webhookDockerHub --query default -o tsv`', '`az functionapp keys list -g <rg> -n <app> --query functionKeys.default -o tsv`', /docs\/webhooks\.md:\d+: az functionapp keys list lists host keys/],
    ['the master key in a webhook URL', 'README.md', 'azd env set BASEGATE_EVENTGRID_FUNCTION_KEY "$(az functionapp function keys list -g "$RG" -n "$APP" --function-name webhookEventGrid --query default -o tsv)"', 'azd env set BASEGATE_EVENTGRID_FUNCTION_KEY "$(az functionapp keys list -g "$RG" -n "$APP" --query masterKey -o tsv)"', /README\.md:\d+: az functionapp keys list/],
    ['API paths excluded from authentication by a wildcard', 'infra/modules/api-auth.bicep', "'/api/webhooks/generic'", "'/api/*'", /excludedPaths must be exactly the webhook routes/],
    ['unauthenticated calls let through', 'infra/modules/api-auth.bicep', "unauthenticatedClientAction: 'Return401'", "unauthenticatedClientAction: 'AllowAnonymous'", /unauthenticatedClientAction must be 'Return401'/],
    ['authentication not required', 'infra/modules/api-auth.bicep', 'requireAuthentication: true', 'requireAuthentication: false', /requireAuthentication must be true/],
    ['a client id azd would prompt for', 'infra/main.bicep', "param apiClientId string = ''", 'param apiClientId string', /apiClientId must default to ''/],
    ['the app trusting the principal without the platform', 'infra/main.bicep', "apiClientId: apiAuthEnabled ? apiClientId : ''", 'apiClientId: apiClientId', /same condition as api-auth\.bicep/],
  ])('%s', (_what, rel, from, to, expected) => {
    edit(rel, from, to);
    const problems = all(tmp);
    expect(problems).toEqual([expect.stringMatching(expected)]);
  });
});
