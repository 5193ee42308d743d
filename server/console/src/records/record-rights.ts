import { BuiltInRole, type CustomRole, type EntityPermission } from '@enclave/shared';

const NONE: EntityPermission = { read: false, write: false, delete: false };

/**
 * What the signed-in member may do with records of one type, from their roles: owners, admins and
 * members everything, viewers read, custom roles per type, several roles their union. It decides
 * which buttons the page shows, nothing more: the server decides every request on its own, and
 * its refusal is shown when the two disagree (a role changed while the page was open).
 */
export function recordRights(
  roles: readonly string[],
  customRoles: readonly CustomRole[],
  entityType: string,
): EntityPermission {
  let rights = NONE;
  for (const role of roles) {
    let granted: EntityPermission;
    if (role === 'viewer') granted = { read: true, write: false, delete: false };
    else if ((BuiltInRole.options as readonly string[]).includes(role))
      granted = { read: true, write: true, delete: true };
    else granted = customRoles.find((r) => r.key === role)?.permissions[entityType] ?? NONE;
    rights = {
      read: rights.read || granted.read,
      write: rights.write || granted.write,
      delete: rights.delete || granted.delete,
    };
  }
  return rights;
}

/** Whether the roles need the workspace's custom roles to be read (any role that is not built in). */
export function needsCustomRoles(roles: readonly string[]): boolean {
  return roles.some((role) => !(BuiltInRole.options as readonly string[]).includes(role));
}
