import { BuiltInRole, type CustomRole } from '@enclave/shared';

export const BUILT_IN_ROLES = BuiltInRole.options;

const BUILT_IN_LABELS: Record<BuiltInRole, string> = {
  owner: 'Owner',
  admin: 'Admin',
  member: 'Member',
  viewer: 'Viewer',
};

export function isBuiltIn(role: string): role is BuiltInRole {
  return (BUILT_IN_ROLES as readonly string[]).includes(role);
}

/**
 * A role's name for people: the built-in ones by name, custom ones by their label. A key that
 * names no role any more (a custom role removed after being granted) shows as its key: it grants
 * nothing, and an admin should see it to tidy it up.
 */
export function roleLabel(role: string, custom: readonly CustomRole[] | undefined): string {
  if (isBuiltIn(role)) return BUILT_IN_LABELS[role];
  return custom?.find((r) => r.key === role)?.label ?? role;
}
