/**
 * Role assignment check (issue #8): every `Microsoft.Authorization/roleAssignments` resource in
 * infra/ names one built-in role by its GUID, literally; the GUID is in the caller's verified
 * table; the comment at the end of the roleDefinitionId line is that role's name, exactly; the
 * comment above the resource names the role and says why it is needed; and the assignment's
 * name is derived from the role id, so two roles on one scope never collide.
 *
 * A custom role (issue #15: the tag lock) is allowed only as `<symbol>.id` of a
 * `Microsoft.Authorization/roleDefinitions` resource in the same file whose roleName starts with
 * a name in the caller's table of verified custom roles, with exactly that table's data actions,
 * no control-plane actions, and one assignable scope; the assignment's name is derived from the
 * same key as the role's.
 */
import * as path from 'node:path';
import { bicepFiles, bodyObject, code, property, readBicep, type Declaration, type ObjectEntry, type Token } from './bicep-reader';

/** One role assignment as read from the Bicep. */
export interface RoleAssignment {
  file: string;
  line: number;
  symbol: string;
  roleId: string | undefined;
  roleName: string | undefined;
}

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
/** Words an explanation must have beyond the role's name. */
const MIN_REASON_WORDS = 8;

/** A custom role the deployment may define: its name and exactly the data actions it holds. */
export type VerifiedCustomRoles = Readonly<Record<string, readonly string[]>>;

/** Checks every role assignment under `root/infra` against `verified` (role id → role name) and `custom` (custom role name → data actions). */
export function checkRoleAssignments(root: string, verified: Readonly<Record<string, string>>, custom: VerifiedCustomRoles = {}): { assignments: RoleAssignment[]; problems: string[] } {
  const assignments: RoleAssignment[] = [];
  const problems: string[] = [];
  for (const file of bicepFiles(path.join(root, 'infra'))) {
    const rel = path.relative(root, file);
    const declarations = readBicep(file).declarations;
    for (const decl of declarations) {
      if (decl.kind !== 'resource' || decl.type !== 'Microsoft.Authorization/roleAssignments') continue;
      const at = `${rel}:${decl.line} (${decl.name})`;
      const body = bodyObject(decl);
      const entry = body && property(body.object, ['properties', 'roleDefinitionId']);
      const ids = entry ? [...new Set(code(entry.valueTokens).flatMap((t) => (t.kind === 'string' ? t.text.match(GUID) ?? [] : [])))] : [];
      const a: RoleAssignment = { file: rel, line: decl.line, symbol: decl.name, roleId: ids[0]?.toLowerCase(), roleName: undefined };
      assignments.push(a);
      if (!entry) {
        problems.push(`${at}: no properties.roleDefinitionId`);
        continue;
      }
      const customRef = ids.length === 0 ? customRoleOf(entry.valueTokens, declarations) : undefined;
      if (customRef) {
        checkCustomRole(at, decl, entry, customRef, custom, a, problems);
        continue;
      }
      if (ids.length !== 1) {
        problems.push(`${at}: roleDefinitionId must name exactly one built-in role GUID literally (found ${ids.length})`);
        continue;
      }
      a.roleName = verified[a.roleId!];
      if (a.roleName === undefined) {
        problems.push(`${at}: role ${a.roleId} is not in the verified table of built-in roles`);
        continue;
      }
      if (entry.trailingComment !== a.roleName) {
        problems.push(`${at}: the comment after roleDefinitionId must be the role's name "${a.roleName}" (found ${JSON.stringify(entry.trailingComment ?? null)})`);
      }
      const explanation = decl.comments.join(' ');
      const reasonWords = explanation.replace(a.roleName, ' ').split(/\s+/).filter((w) => /\w/.test(w)).length;
      if (!explanation.includes(a.roleName) || reasonWords < MIN_REASON_WORDS) {
        problems.push(`${at}: the comment above must name "${a.roleName}" and say why it is needed`);
      }
      const nameEntry = property(body!.object, ['name']);
      const nameIds = nameEntry ? code(nameEntry.valueTokens).flatMap((t) => (t.kind === 'string' ? t.text.match(GUID) ?? [] : [])) : [];
      if (!nameIds.map((g) => g.toLowerCase()).includes(a.roleId!)) {
        problems.push(`${at}: name must be derived from the role id (guid(scope, principal, '${a.roleId}'))`);
      }
    }
  }
  return { assignments, problems };
}

/** The roleDefinitions resource `tokens` reference as `<symbol>.id`, in the same file. */
function customRoleOf(tokens: Token[], declarations: Declaration[]): Declaration | undefined {
  const c = code(tokens);
  if (c.length !== 3 || c[1].text !== '.' || c[2].text !== 'id') return undefined;
  return declarations.find((d) => d.kind === 'resource' && d.name === c[0].text && d.type === 'Microsoft.Authorization/roleDefinitions');
}

/** Checks an assignment of a custom role defined beside it (see the module header). */
function checkCustomRole(at: string, decl: Declaration, entry: ObjectEntry, role: Declaration, custom: VerifiedCustomRoles, a: RoleAssignment, problems: string[]): void {
  const body = bodyObject(role)!;
  const roleName = stringParts(property(body.object, ['properties', 'roleName'])?.valueTokens ?? [])[0] ?? '';
  const name = Object.keys(custom).find((n) => roleName.startsWith(n));
  if (!name) {
    problems.push(`${at}: custom role ${role.name} (${JSON.stringify(roleName)}) is not in the verified table of custom roles`);
    return;
  }
  a.roleName = name;
  const list = (keys: string[]) => permissionList(body.object, keys);
  const dataActions = list(['dataActions']);
  if ([...dataActions].sort().join(',') !== [...custom[name]].sort().join(',')) problems.push(`${at}: custom role ${name} must hold exactly the data actions ${custom[name].join(', ')} (found ${dataActions.join(', ') || 'none'})`);
  if (list(['actions']).length > 0 || list(['notActions']).length > 0) problems.push(`${at}: custom role ${name} must hold no control-plane actions`);
  const scopes = property(body.object, ['properties', 'assignableScopes']);
  if (!scopes || code(scopes.valueTokens).filter((t) => t.kind === 'word' && t.text !== 'id').length !== 1) problems.push(`${at}: custom role ${name} must have exactly one assignable scope`);
  if (entry.trailingComment !== name) problems.push(`${at}: the comment after roleDefinitionId must be the role's name "${name}" (found ${JSON.stringify(entry.trailingComment ?? null)})`);
  const explanation = decl.comments.join(' ');
  if (!explanation.includes(name) || explanation.replace(name, ' ').split(/\s+/).filter((w) => /\w/.test(w)).length < MIN_REASON_WORDS) {
    problems.push(`${at}: the comment above must name "${name}" and say why it is needed`);
  }
  const assignmentKey = stringParts(property(bodyObject(decl)!.object, ['name'])?.valueTokens ?? []);
  const roleKey = stringParts(property(body.object, ['name'])?.valueTokens ?? []);
  if (!roleKey.some((k) => assignmentKey.includes(k))) problems.push(`${at}: name must be derived from the custom role's key (${roleKey.join(', ')})`);
}

/** String literals among `tokens` (interpolated ones by their text). */
function stringParts(tokens: Token[]): string[] {
  return code(tokens).filter((t) => t.kind === 'string').map((t) => t.value ?? t.text.replace(/^'|'$/g, ''));
}

/** The string items of `permissions[0].<key>`. */
function permissionList(object: Token[], key: string[]): string[] {
  const permissions = property(object, ['properties', 'permissions']);
  if (!permissions) return [];
  const c = code(permissions.valueTokens);
  // permissions: [ { ... } ]: the first object literal inside the array.
  const open = permissions.valueTokens.indexOf(c.find((t) => t.text === '{')!);
  if (open < 0) return [];
  const entry = property(permissions.valueTokens.slice(open), key);
  return entry ? stringParts(entry.valueTokens) : [];
}
