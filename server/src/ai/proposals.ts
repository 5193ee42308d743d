import {
  findEntityType,
  type AiFeature,
  type AiOperation,
  type Actor,
  type OperationDecision,
  type Proposal,
  type WorkspaceRecord,
  type WorkspaceSchema,
} from '@enclave/shared';
import { uuidv7 } from '../crypto/uuid7';
import { titleOf } from './context';

/**
 * Stage 9 of the AI pipeline: proposals. What does not run on its own waits in a queue for a
 * person: approve (as proposed, or edited), or reject with a reason — which may add a rule to the
 * constitution. Proposals expire after the workspace's proposal lifetime.
 */

function describeValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** A one-line description of an operation, for lists ("Update invoice INV-0089: status → paid"). */
export function summarise(op: AiOperation, schema: WorkspaceSchema, target: WorkspaceRecord | null): string {
  const entity = findEntityType(schema, op.type === 'record.create' ? op.entityType : (target?.type ?? ''));
  const label = entity?.label.toLowerCase() ?? target?.type ?? 'record';
  const name = target ? titleOf(entity, target) : '';
  const fields = (data: Record<string, unknown>) =>
    Object.entries(data)
      .map(([key, value]) => `${key} → ${describeValue(value)}`)
      .join(', ');
  switch (op.type) {
    case 'record.create':
      return `Create ${label}: ${fields(op.data)}`;
    case 'record.update':
      return `Update ${label} ${name}: ${fields(op.data)}`;
    case 'record.delete':
      return `Delete ${label} ${name}`;
    case 'record.restore':
      return `Restore ${label} ${name}`;
    case 'record.revert':
      return `Undo the change of event ${op.eventId}`;
    case 'outbox.send':
      return `Send an email to ${op.to}: ${describeValue(op.subject)}`;
  }
}

export interface ProposalInput {
  decision: OperationDecision & { operation: AiOperation };
  feature: AiFeature;
  requestedBy: Actor;
  request: string;
  summary: string;
  confidence: number;
  rationale: string;
  constitutionVersion: number;
  promptLogId: string;
  now: Date;
  ttlHours: number;
}

export function buildProposal(input: ProposalInput): Proposal {
  const { decision } = input;
  return {
    id: uuidv7(),
    status: 'pending',
    feature: input.feature,
    category: decision.category,
    requestedBy: input.requestedBy,
    request: input.request,
    operation: decision.operation,
    summary: input.summary,
    risk: decision.risk,
    provenance: decision.provenance,
    reasons: decision.reasons,
    fromRecordText: decision.fromRecordText,
    confidence: input.confidence,
    rationale: input.rationale,
    ruleIds: decision.ruleIds,
    constitutionVersion: input.constitutionVersion,
    promptLogId: input.promptLogId,
    createdAt: input.now.toISOString(),
    expiresAt: new Date(input.now.getTime() + input.ttlHours * 3_600_000).toISOString(),
    decidedBy: null,
    decidedAt: null,
    rejectReason: null,
    executedEventId: null,
    edited: false,
  };
}
