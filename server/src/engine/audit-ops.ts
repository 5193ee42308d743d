import type { OperationOf } from '@enclave/shared';
import { can } from '../policy/policy';
import type { Handler } from './context';
import { forbidden } from './errors';

/** An export changes no state, but who took which part of the log, and when, is itself on the record. */
export const exportAudit: Handler<OperationOf<'audit.export'>> = async (op, env) => {
  if (!can(env.perms, 'audit.read')) throw forbidden('Only owners and admins can read the audit log');
  const filter = Object.fromEntries(Object.entries(op.filter).filter(([, v]) => v !== undefined));
  return {
    change: {
      action: 'audit.exported',
      target: { kind: 'workspace', entityType: null, id: env.ctx.workspaceId },
      before: null,
      after: null,
      details: { format: op.format, filter },
      mutations: [],
    },
  };
};
