/**
 * Role assignment check (issue #8): every `Microsoft.Authorization/roleAssignments` resource in
 * infra/ names one built-in role by its GUID, literally; the GUID is in the caller's verified
 * table; the comment at the end of the roleDefinitionId line is that role's name, exactly; the
 * comment above the resource names the role and says why it is needed; and the assignment's
 * name is derived from the role id, so two roles on one scope never collide.
 */
import * as path from 'node:path';
import { bicepFiles, bodyObject, code, property, readBicep } from './bicep-reader';

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

/** Checks every role assignment under `root/infra` against `verified` (role id → role name). */
export function checkRoleAssignments(root: string, verified: Readonly<Record<string, string>>): { assignments: RoleAssignment[]; problems: string[] } {
  const assignments: RoleAssignment[] = [];
  const problems: string[] = [];
  for (const file of bicepFiles(path.join(root, 'infra'))) {
    const rel = path.relative(root, file);
    for (const decl of readBicep(file).declarations) {
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
