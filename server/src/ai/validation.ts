import { findEntityType, type AiOperation, type ErrorIssue, type WorkspaceSchema } from '@enclave/shared';
import type { OperationContext } from '../engine/context';
import type { CommandEngine } from '../engine/engine';
import { forbidden, invalid, type AppError } from '../engine/errors';

/**
 * Stage 4 of the AI pipeline: validation. Each proposed operation is checked by the command
 * engine, without committing, against the schema and the rights of the person who asked — the AI
 * acts with at most their rights, and its operations (`AiOperation`) cannot reach members, roles,
 * devices, the schema or the workspace. Fields marked `secret` are never shown to the model, so it
 * may not write them either. A refused operation changes nothing.
 */

export interface Refusal {
  code: AppError['code'];
  message: string;
  issues?: ErrorIssue[];
}

export function refusalOf(error: AppError): Refusal {
  const issues = Array.isArray(error.details) ? (error.details as ErrorIssue[]) : undefined;
  return { code: error.code, message: error.message, ...(issues ? { issues } : {}) };
}

function secretWrite(op: AiOperation, schema: WorkspaceSchema, targetType: string | null): AppError | null {
  if (op.type !== 'record.create' && op.type !== 'record.update') return null;
  const entity = findEntityType(schema, op.type === 'record.create' ? op.entityType : (targetType ?? ''));
  const secret = entity?.fields.filter((f) => f.sensitivity === 'secret' && f.key in op.data) ?? [];
  if (secret.length === 0) return null;
  return invalid(
    'The AI may not write fields marked secret',
    secret.map((f) => ({ path: `data.${f.key}`, message: 'secret: not for the AI' })),
  );
}

/**
 * Checks operations in order, as they would run: each sees the ones before it that pass. Returns,
 * for each, null or its refusal.
 */
export async function validateOperations(
  engine: CommandEngine,
  ctx: OperationContext,
  ops: readonly { op: AiOperation; targetType: string | null; forbiddenBy: string | null }[],
  schema: WorkspaceSchema,
): Promise<(Refusal | null)[]> {
  const refusals: (Refusal | null)[] = ops.map(({ op, targetType, forbiddenBy }) => {
    if (forbiddenBy !== null) {
      return refusalOf(forbidden(`The workspace constitution forbids this (rule ${forbiddenBy})`));
    }
    const secret = secretWrite(op, schema, targetType);
    return secret ? refusalOf(secret) : null;
  });
  const remaining = ops.flatMap((item, index) => (refusals[index] === null ? [{ item, index }] : []));
  const errors = await engine.check(
    ctx,
    remaining.map(({ item }) => item.op),
  );
  remaining.forEach(({ index }, i) => {
    const error = errors[i];
    if (error) refusals[index] = refusalOf(error);
  });
  return refusals;
}
