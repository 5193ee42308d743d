import { useId } from 'react';
import type { CustomRole } from '@enclave/shared';
import { BUILT_IN_ROLES } from './role-names';

const BUILT_IN_HINTS: Record<(typeof BUILT_IN_ROLES)[number], string> = {
  owner: 'Everything, including owners and deleting the workspace',
  admin: 'Manages members, roles, schema and devices; all records',
  member: 'Reads and changes all records',
  viewer: 'Reads all records, changes nothing',
};

/**
 * The roles a member holds, as checkboxes: several at once, the rights add up. The owner role is
 * offered only to owners, since the server lets only them grant it.
 */
export function RolePicker({
  value,
  onChange,
  custom,
  canGrantOwner,
  disabled = false,
  error,
  testId,
}: {
  value: readonly string[];
  onChange: (roles: string[]) => void;
  custom: readonly CustomRole[];
  canGrantOwner: boolean;
  disabled?: boolean;
  error?: string;
  testId: string;
}) {
  const id = useId();
  const toggle = (role: string, on: boolean) =>
    onChange(on ? [...value, role] : value.filter((r) => r !== role));
  // A role the member holds that no longer exists stays listed, so that it can be taken away.
  const stale = value.filter(
    (r) => !(BUILT_IN_ROLES as readonly string[]).includes(r) && !custom.some((c) => c.key === r),
  );
  return (
    <fieldset
      className="role-picker"
      data-testid={testId}
      aria-describedby={error ? `${id}-error` : undefined}
    >
      <legend className="field-label">Roles</legend>
      {BUILT_IN_ROLES.map((role) => {
        const locked = role === 'owner' && !canGrantOwner;
        return (
          <label key={role} className="checkbox role-option">
            <input
              type="checkbox"
              checked={value.includes(role)}
              disabled={disabled || locked}
              onChange={(event) => toggle(role, event.target.checked)}
              data-testid={`${testId}-${role}`}
            />
            <span>
              <span className="role-name">{role.charAt(0).toUpperCase() + role.slice(1)}</span>
              <span className="hint">
                {locked ? 'Only an owner can grant or take the owner role' : BUILT_IN_HINTS[role]}
              </span>
            </span>
          </label>
        );
      })}
      {custom.map((role) => (
        <label key={role.key} className="checkbox role-option">
          <input
            type="checkbox"
            checked={value.includes(role.key)}
            disabled={disabled}
            onChange={(event) => toggle(role.key, event.target.checked)}
            data-testid={`${testId}-${role.key}`}
          />
          <span>
            <span className="role-name">{role.label}</span>
            <span className="hint">Custom role ({role.key})</span>
          </span>
        </label>
      ))}
      {stale.map((role) => (
        <label key={role} className="checkbox role-option">
          <input
            type="checkbox"
            checked
            disabled={disabled}
            onChange={(event) => toggle(role, event.target.checked)}
            data-testid={`${testId}-${role}`}
          />
          <span>
            <span className="role-name">{role}</span>
            <span className="hint">This role no longer exists and grants nothing</span>
          </span>
        </label>
      ))}
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </fieldset>
  );
}
