/**
 * Hardening checks of infra/ and the deployment docs (issue #15), read with the Bicep reader (no
 * compiler reaches the test machines). Each check returns problems naming the file and what is
 * wrong; an empty list means the deployment is hardened as the README promises. The checks read
 * literals on purpose: the Bicep is written so that what matters is visible without evaluating it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bodyObject, code, property, readBicep, stringLiterals, type BicepFile, type Declaration, type Token } from './bicep-reader';

/** The declaration `name` of `kind` in `file`, or undefined. */
export function declaration(file: BicepFile, kind: Declaration['kind'], name: string): Declaration | undefined {
  return file.declarations.find((d) => d.kind === kind && d.name === name);
}

/** The code text of a property of a resource or module body (`''` when absent). */
export function propertyText(decl: Declaration | undefined, keys: string[]): string {
  const body = decl && bodyObject(decl);
  const entry = body && property(body.object, keys);
  return entry ? code(entry.valueTokens).map((t) => (t.kind === 'string' ? `'${t.value ?? t.text}'` : t.text)).join(' ') : '';
}

/** Code tokens as text, operators rejoined (the tokenizer splits `&&`, `||` and `!` into characters). */
function exprText(tokens: Token[]): string {
  return tokens.map((t) => t.text).join(' ').replace(/\| \|/g, '||').replace(/& &/g, '&&').replace(/= =/g, '==').replace(/! =/g, '!=').replace(/! (?!=)/g, '!');
}

/** The `if (...)` condition of a resource or module, as code text (`''` when unconditional). */
export function conditionText(decl: Declaration): string {
  const c = code(decl.valueTokens);
  if (c[0]?.text !== 'if') return '';
  let depth = 0;
  const out: Token[] = [];
  for (let i = 1; i < c.length; i++) {
    if (c[i].text === '(') depth++;
    if (c[i].text === ')' && --depth === 0) break;
    if (i > 1) out.push(c[i]);
  }
  return exprText(out);
}

/** App Service authentication (api-auth.bicep) and the one condition shared with the app setting (main.bicep). */
export function checkApiAuth(root: string, webhookPaths: readonly string[]): string[] {
  const problems: string[] = [];
  const file = readBicep(path.join(root, 'infra/modules/api-auth.bicep'));
  const auth = declaration(file, 'resource', 'auth');
  const at = 'infra/modules/api-auth.bicep';
  if (!auth || auth.type !== 'Microsoft.Web/sites/config' || !propertyText(auth, ['name']).includes("'authsettingsV2'")) return [`${at}: no authsettingsV2 resource named auth`];
  const expect = (keys: string[], want: string, why: string) => {
    const got = propertyText(auth, keys);
    if (got !== want) problems.push(`${at}: properties.${keys.join('.')} must be ${want} (${why}); found ${got || 'nothing'}`);
  };
  expect(['properties', 'platform', 'enabled'], 'true', 'the platform authenticates API callers');
  expect(['properties', 'globalValidation', 'requireAuthentication'], 'true', 'no anonymous API call reaches the app');
  expect(['properties', 'globalValidation', 'unauthenticatedClientAction'], "'Return401'", 'an API answers 401, it has no login page');
  const body = bodyObject(auth)!;
  const excluded = property(body.object, ['properties', 'globalValidation', 'excludedPaths']);
  const paths = excluded ? stringLiterals(code(excluded.valueTokens)) : [];
  if ([...paths].sort().join(',') !== [...webhookPaths].sort().join(',')) {
    problems.push(`${at}: globalValidation.excludedPaths must be exactly the webhook routes ${webhookPaths.join(', ')} (no wildcard, no API route); found ${paths.join(', ') || 'none'}`);
  }
  if (!propertyText(auth, ['properties', 'identityProviders', 'azureActiveDirectory', 'validation', 'allowedAudiences']).includes("'api://${apiClientId}'")) {
    problems.push(`${at}: azureActiveDirectory.validation.allowedAudiences must name api://\${apiClientId}: tokens for other applications are refused`);
  }

  const main = readBicep(path.join(root, 'infra/main.bicep'));
  const param = declaration(main, 'param', 'apiClientId');
  if (!param || code(param.valueTokens).map((t) => t.text).join('') !== "''") problems.push("infra/main.bicep: param apiClientId must default to '' so that azd asks nothing");
  const module = main.declarations.find((d) => d.kind === 'module' && d.type === 'modules/api-auth.bicep');
  const condition = module ? conditionText(module) : '';
  if (!module || condition !== 'apiAuthEnabled') problems.push(`infra/main.bicep: module api-auth.bicep must be deployed if (apiAuthEnabled); found ${module ? `if (${condition})` : 'no module'}`);
  const app = main.declarations.find((d) => d.kind === 'module' && d.type === 'modules/function-app.bicep');
  if (!propertyText(app, ['params', 'apiClientId']).startsWith('apiAuthEnabled ?')) {
    problems.push('infra/main.bicep: the function app\'s apiClientId (app setting BASEGATE_API_CLIENT_ID) must be set under the same condition as api-auth.bicep (apiAuthEnabled ? apiClientId : \'\')');
  }
  return problems;
}

/** Commands and URL forms that hand out a host key, which opens every function-level route. */
const HOST_KEY_PATTERNS: Array<[RegExp, string]> = [
  [/az functionapp keys list/, 'az functionapp keys list lists host keys'],
  [/--key-type\s+(?:functionKeys\s+)?(?:masterKey|systemKeys)/, 'a master or system key'],
  [/host key|master key|_master/i, 'a host or master key'],
];

/** No doc tells an operator to give a webhook sender (or anyone) a host key: one function key per function. */
export function checkDocumentedKeys(root: string): string[] {
  const docs = ['README.md', ...fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const problems: string[] = [];
  for (const rel of docs) {
    const lines = fs.readFileSync(path.join(root, rel), 'utf8').split('\n');
    lines.forEach((line, i) => {
      // Warnings about host keys are fine; instructions that use one are not.
      if (/never (?:a|the) host key|not a host key|never the host key/i.test(line)) return;
      for (const [pattern, what] of HOST_KEY_PATTERNS) if (pattern.test(line)) problems.push(`${rel}:${i + 1}: ${what}; document the route's own function key (az functionapp function keys list --function-name <function>)`);
    });
  }
  return problems;
}

/** The host's own request body limit (function-app.bicep) is the largest body any route takes, so nothing bigger is buffered. */
export function checkBodyLimit(root: string, limitBytes: number): string[] {
  const file = readBicep(path.join(root, 'infra/modules/function-app.bicep'));
  const settings = declaration(file, 'var', 'appSettings');
  const entry = settings && objectEntryText(settings, 'FUNCTIONS_REQUEST_BODY_SIZE_LIMIT');
  if (entry !== `'${limitBytes}'`) {
    return [`infra/modules/function-app.bicep: app setting FUNCTIONS_REQUEST_BODY_SIZE_LIMIT must be '${limitBytes}' (the webhook body limit, enforced by the host before it buffers a body); found ${entry ?? 'none'}`];
  }
  return [];
}

/** The code text of one entry of a `var` object literal. */
function objectEntryText(decl: Declaration, key: string): string | undefined {
  const c = code(decl.valueTokens);
  const first = decl.valueTokens.indexOf(c[0]);
  const entry = property(decl.valueTokens.slice(first), [key]);
  return entry ? code(entry.valueTokens).map((t) => (t.kind === 'string' ? `'${t.value ?? t.text}'` : t.text)).join(' ') : undefined;
}

/** No FTP, no basic (password) publishing credentials on the function app. */
export function checkPublishing(root: string): string[] {
  const at = 'infra/modules/function-app.bicep';
  const file = readBicep(path.join(root, at));
  const problems: string[] = [];
  const site = declaration(file, 'resource', 'site');
  if (propertyText(site, ['properties', 'siteConfig', 'ftpsState']) !== "'Disabled'") problems.push(`${at}: site.properties.siteConfig.ftpsState must be 'Disabled' (no FTP or FTPS)`);
  for (const kind of ['ftp', 'scm']) {
    const policy = file.declarations.find((d) => d.kind === 'resource' && d.type === 'Microsoft.Web/sites/basicPublishingCredentialsPolicies' && propertyText(d, ['name']) === `'${kind}'`);
    if (!policy) problems.push(`${at}: no basicPublishingCredentialsPolicies '${kind}' resource: basic ${kind} publishing credentials stay on`);
    else if (conditionText(policy) !== '' || propertyText(policy, ['properties', 'allow']) !== 'false' || propertyText(policy, ['parent']) !== 'site') {
      problems.push(`${at}: basicPublishingCredentialsPolicies '${kind}' must be unconditional, parent site, properties.allow false`);
    }
  }
  return problems;
}

/** Key Vault purge protection on by default, and a vault name that does not collide after `azd down`. */
export function checkPurgeProtection(root: string): string[] {
  const problems: string[] = [];
  const main = readBicep(path.join(root, 'infra/main.bicep'));
  const param = declaration(main, 'param', 'keyVaultPurgeProtection');
  if (!param || code(param.valueTokens).map((t) => t.text).join(' ') !== 'true') problems.push('infra/main.bicep: param keyVaultPurgeProtection must default to true');
  const vault = main.declarations.find((d) => d.kind === 'module' && d.type === 'modules/key-vault.bicep');
  if (propertyText(vault, ['params', 'purgeProtection']) !== 'keyVaultPurgeProtection') problems.push('infra/main.bicep: the key-vault module must get purgeProtection: keyVaultPurgeProtection');
  if (!propertyText(vault, ['params', 'name']).includes('keyVaultName')) problems.push('infra/main.bicep: the vault name must come from keyVaultName (chosen once per deployment by scripts/azd/keyvault-name.sh) so an azd up after azd down does not collide with the soft-deleted vault');
  const kv = readBicep(path.join(root, 'infra/modules/key-vault.bicep'));
  if (propertyText(declaration(kv, 'resource', 'vault'), ['properties', 'enablePurgeProtection']) !== "purgeProtection ? true : null") problems.push('infra/modules/key-vault.bicep: enablePurgeProtection must follow purgeProtection');
  const params = JSON.parse(fs.readFileSync(path.join(root, 'infra/main.parameters.json'), 'utf8')).parameters ?? {};
  if (params.keyVaultPurgeProtection !== undefined) problems.push('infra/main.parameters.json: keyVaultPurgeProtection must not be set (its default, true, applies)');
  if (params.keyVaultName?.value !== '${BASEGATE_KEYVAULT_NAME}') problems.push('infra/main.parameters.json: keyVaultName must be ${BASEGATE_KEYVAULT_NAME}, the name the preprovision hook chose');
  return problems;
}

/** A base registry the template creates is in ABAC mode, and AcrPush is granted only on an existing RBAC-mode registry. */
export function checkRegistryRoles(root: string): string[] {
  const problems: string[] = [];
  const registry = readBicep(path.join(root, 'infra/modules/container-registry.bicep'));
  if (propertyText(declaration(registry, 'resource', 'registry'), ['properties', 'roleAssignmentMode']) !== "'AbacRepositoryPermissions'") {
    problems.push("infra/modules/container-registry.bicep: the registry must set roleAssignmentMode 'AbacRepositoryPermissions'");
  }
  const main = readBicep(path.join(root, 'infra/main.bicep'));
  const abac = declaration(main, 'var', 'baseRegistryAbac');
  const abacText = abac ? exprText(code(abac.valueTokens)) : '';
  if (!/^createBaseRegistry \|\| /.test(abacText)) problems.push(`infra/main.bicep: var baseRegistryAbac must be true for a registry the template creates (createBaseRegistry || ...); found ${abacText || 'none'}`);
  const access = main.declarations.find((d) => d.kind === 'module' && d.type === 'modules/base-registry-access.bicep');
  if (propertyText(access, ['params', 'abacMode']) !== 'baseRegistryAbac') problems.push('infra/main.bicep: base-registry-access.bicep must get abacMode: baseRegistryAbac');
  const roles = readBicep(path.join(root, 'infra/modules/base-registry-access.bicep'));
  for (const d of roles.declarations) {
    if (d.kind !== 'resource' || d.type !== 'Microsoft.Authorization/roleAssignments' || !propertyText(d, ['properties', 'roleDefinitionId']).includes('8311e382-0749-4cb8-b61a-304f252e45ec')) continue;
    if (!/(^|&& )!abacMode( &&|$)/.test(conditionText(d))) problems.push(`infra/modules/base-registry-access.bicep: AcrPush (${d.name}) must be assigned only if (... && !abacMode): never on a registry the template creates`);
  }
  return problems;
}
