/**
 * Every role assignment in infra/ names a built-in role by GUID, the comment beside it names that
 * role, and the comment above explains why (issue #8). The GUID ↔ name pairs below were checked
 * against Microsoft's published role definitions (read through the search tools):
 *   - MicrosoftDocs/azure-docs articles/role-based-access-control/built-in-roles.md, the
 *     "Built-in role | Description | ID" tables (Storage, Containers, Security, Monitor sections);
 *   - built-in-roles/storage.md role JSON for the queue roles (Storage Queue Data Contributor's
 *     data actions include both of Storage Queue Data Message Processor's: messages/read and
 *     messages/process/action, which is why only the contributor is assigned);
 *   - built-in-roles/containers.md role JSON for AcrPush and AcrPull;
 *   - MicrosoftDocs/azure-management-docs container-registry-rbac-built-in-roles-directory-reference.md
 *     and -overview.md for what the ACR roles allow (import, task runs, tag metadata).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkRoleAssignments } from '../helpers/infra-roles';

const ROOT = path.resolve(__dirname, '../..');

/** Built-in role id → role name, verified as described in the header. */
const VERIFIED_ROLES: Record<string, string> = {
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88': 'Storage Queue Data Contributor',
  '8a0f0c08-91a1-4084-bc3d-661d67233fed': 'Storage Queue Data Message Processor',
  'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a': 'Storage Queue Data Message Sender',
  '19e7f393-937e-4f77-808e-94535e297925': 'Storage Queue Data Reader',
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': 'Storage Table Data Contributor',
  '4633458b-17de-408a-b874-0445c86b69e6': 'Key Vault Secrets User',
  'b86a8fe4-44ce-4948-aee5-eccb2c155cd7': 'Key Vault Secrets Officer',
  '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher',
  '577a9874-89fd-4f24-9dbd-b5034d0ad23a': 'Container Registry Data Importer and Data Reader',
  'fb382eab-e894-4461-af04-94435c366c3f': 'Container Registry Tasks Contributor',
  '2a1e307c-b015-4ebd-883e-5b7698a07328': 'Container Registry Repository Writer',
  '8311e382-0749-4cb8-b61a-304f252e45ec': 'AcrPush',
  '7f951dda-4ed3-4680-a7ca-43fe172d538d': 'AcrPull',
  'b93aa761-3e63-49ed-ac28-beffa264f7ac': 'Container Registry Repository Reader',
};

/**
 * Custom roles the deployment defines, with exactly their data actions (issue #15). The tag lock:
 * the data actions of ACR's tag metadata (`PATCH /acr/v1/{repo}/_tags/{tag}`), as the ACR roles
 * directory lists them for Container Registry Repository Writer, without its content/write.
 */
const VERIFIED_CUSTOM_ROLES = {
  'basegate tag lock': ['Microsoft.ContainerRegistry/registries/repositories/metadata/read', 'Microsoft.ContainerRegistry/registries/repositories/metadata/write'],
};

describe('role assignments in infra/', () => {
  const { assignments, problems } = checkRoleAssignments(ROOT, VERIFIED_ROLES, VERIFIED_CUSTOM_ROLES);

  it('each names a verified built-in role, explained beside and above it', () => {
    expect(problems).toEqual([]);
  });

  it('are exactly the least-privilege set the deployment needs (the reader found them all)', () => {
    const found = assignments.map((a) => `${path.basename(a.file)}: ${a.roleName}`).sort();
    expect(found).toEqual([
      'app-registry-access.bicep: Container Registry Tasks Contributor',
      'base-registry-access.bicep: AcrPush',
      'base-registry-access.bicep: Container Registry Data Importer and Data Reader',
      'base-registry-access.bicep: Container Registry Tasks Contributor',
      'base-registry-access.bicep: basegate tag lock',
      'key-vault.bicep: Key Vault Secrets Officer',
      'key-vault.bicep: Key Vault Secrets User',
      'monitoring.bicep: Monitoring Metrics Publisher',
      'storage.bicep: Storage Blob Data Owner',
      'storage.bicep: Storage Queue Data Contributor',
      'storage.bicep: Storage Table Data Contributor',
      'validation-task.bicep: Container Registry Repository Reader',
    ]);
  });

  it('never grant a broad role', () => {
    const broad = ['8e3af657-a8ff-443c-a75c-2fe8c4bcb635', 'b24988ac-6180-42a0-ab88-20f7382dd24c', '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9']; // Owner, Contributor, User Access Administrator
    expect(assignments.filter((a) => broad.includes(a.roleId ?? ''))).toEqual([]);
  });
});

describe('role assignment check fails on a planted mistake', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-roles-'));
    fs.cpSync(path.join(ROOT, 'infra'), path.join(tmp, 'infra'), { recursive: true });
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const storage = () => path.join(tmp, 'infra/modules/storage.bicep');
  const edit = (from: string | RegExp, to: string) => {
    const before = fs.readFileSync(storage(), 'utf8');
    const after = before.replace(from, to);
    expect(after).not.toBe(before);
    fs.writeFileSync(storage(), after);
  };
  const problems = () => checkRoleAssignments(tmp, VERIFIED_ROLES, VERIFIED_CUSTOM_ROLES).problems;

  it('the GUID is changed to another role but the comment still names the old one', () => {
    edit("roleDefinitions', '974c5e8b-45b9-4653-ba55-5f855dd0fb88')", "roleDefinitions', '8a0f0c08-91a1-4084-bc3d-661d67233fed')");
    expect(problems()).toEqual([
      expect.stringMatching(/storage\.bicep:\d+ \(queueDataContributor\): the comment after roleDefinitionId must be the role's name "Storage Queue Data Message Processor"/),
      expect.stringMatching(/\(queueDataContributor\): name must be derived from the role id/),
    ]);
  });

  it('a GUID that is not a verified built-in role', () => {
    edit(/'0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'/g, "'00000000-1111-2222-3333-444444444444'");
    expect(problems()).toEqual([expect.stringMatching(/\(tableDataContributor\): role 00000000-1111-2222-3333-444444444444 is not in the verified table/)]);
  });

  it('the role id comes from a parameter, so no reader can tell which role it is', () => {
    edit("subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b') // Storage Blob Data Owner", 'hostRoleId // Storage Blob Data Owner');
    expect(problems()).toEqual([expect.stringMatching(/\(blobDataOwner\): roleDefinitionId must name exactly one built-in role GUID literally \(found 0\)/)]);
  });

  it('the custom tag-lock role gains content write (what Repository Writer or AcrPush would add)', () => {
    const access = path.join(tmp, 'infra/modules/base-registry-access.bicep');
    const text = fs.readFileSync(access, 'utf8');
    fs.writeFileSync(access, text.replace("'Microsoft.ContainerRegistry/registries/repositories/metadata/write'", "'Microsoft.ContainerRegistry/registries/repositories/metadata/write'\n          'Microsoft.ContainerRegistry/registries/repositories/content/write'"));
    expect(problems()).toEqual([expect.stringMatching(/\(tagLockAbac\): custom role basegate tag lock must hold exactly the data actions/)]);
  });

  it('the explanation above the assignment is missing', () => {
    edit(/\/\/ Storage Table Data Contributor: the app reads[^\n]*\n\/\/ in the basegateState[^\n]*\n/, '');
    expect(problems()).toEqual([expect.stringMatching(/\(tableDataContributor\): the comment above must name "Storage Table Data Contributor" and say why/)]);
  });
});
