import { z } from 'zod';
import { Key } from './ids';
import { nameText } from './names';

export const BuiltInRole = z.enum(['owner', 'admin', 'member', 'viewer']);
export type BuiltInRole = z.infer<typeof BuiltInRole>;

/** A member's role: a built-in one, or the key of a custom role of the workspace. */
export const RoleKey = z.union([BuiltInRole, Key]);
export type RoleKey = z.infer<typeof RoleKey>;

export const EntityPermission = z.strictObject({
  read: z.boolean(),
  write: z.boolean(),
  delete: z.boolean(),
});
export type EntityPermission = z.infer<typeof EntityPermission>;

export const CustomRole = z.strictObject({
  key: Key.refine((k) => !BuiltInRole.options.includes(k as BuiltInRole), 'is a built-in role'),
  label: nameText(80),
  /** Per entity type key: what holders of this role may do with its records. */
  permissions: z.record(Key, EntityPermission),
});
export type CustomRole = z.infer<typeof CustomRole>;

export const PutRoleBody = CustomRole.omit({ key: true });
export type PutRoleBody = z.infer<typeof PutRoleBody>;

export const MemberRoles = z
  .array(RoleKey)
  .min(1)
  .max(10)
  .refine((roles) => new Set(roles).size === roles.length, 'roles must be unique');
