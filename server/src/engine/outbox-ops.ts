import type { OperationOf } from '@enclave/shared';
import { can, canRecord } from '../policy/policy';
import type { Handler } from './context';
import { forbidden, invalid } from './errors';

/**
 * Queues an email in the workspace's outbox; the server's mailer delivers it after the commit.
 * A message about a record needs the right to change that record; one about nothing in
 * particular needs the right to manage the workspace.
 */
export const sendMessage: Handler<OperationOf<'outbox.send'>> = async (op, env) => {
  if (op.recordId !== undefined) {
    const record = await env.getRecord(op.recordId);
    if (!record || !canRecord(env.perms, 'read', record.type) || record.deletedAt !== null) {
      throw invalid('The message is about no such record', [{ path: 'recordId', message: 'no such record' }]);
    }
    if (!canRecord(env.perms, 'write', record.type)) {
      throw forbidden(`You may not send messages about ${record.type} records`);
    }
  } else if (!can(env.perms, 'workspace.manage')) {
    throw forbidden('Only owners and admins may send messages that are not about a record');
  }
  const id = env.newId();
  return {
    change: {
      action: 'outbox.send',
      target: { kind: 'outbox', entityType: null, id },
      before: null,
      after: { to: op.to, subject: op.subject, body: op.body, recordId: op.recordId ?? null },
      details: null,
      mutations: [
        {
          kind: 'outbox.put',
          message: {
            id,
            to: op.to,
            subject: op.subject,
            body: op.body,
            recordId: op.recordId ?? null,
            createdBy: env.ctx.principal.userId,
            createdAt: env.now,
            status: 'queued',
            attemptedAt: null,
            error: null,
          },
        },
      ],
    },
    result: { messageId: id },
  };
};
