import { BuiltInRole } from '@enclave/shared';

const LABELS: Record<BuiltInRole, string> = {
  owner: 'Owner',
  admin: 'Admin',
  member: 'Member',
  viewer: 'Viewer',
};

/**
 * A member's roles in words, built-in ones first. A custom role shows as its key here: the list of
 * workspaces does not load every workspace's roles just for their labels.
 */
export function roleNames(roles: readonly string[]): string {
  const builtIn = BuiltInRole.options.filter((role) => roles.includes(role)).map((role) => LABELS[role]);
  const custom = roles.filter((role) => !(BuiltInRole.options as readonly string[]).includes(role));
  return [...builtIn, ...custom].join(', ') || 'No role';
}
