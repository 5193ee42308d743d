import Anthropic from '@anthropic-ai/sdk';
import {
  AiOperation,
  OutboxSendOperation,
  RecordCreateOperation,
  RecordDeleteOperation,
  RecordRestoreOperation,
  RecordRevertOperation,
  RecordUpdateOperation,
  type AiOperationType,
} from '@enclave/shared';
import { z } from 'zod';

/**
 * The model's tools, generated from the operation schemas in `shared/`: one per operation the AI
 * may propose, and `submit_plan` for the answer, confidence, rationale and cited rules. Nothing
 * the model calls runs by itself: every call becomes a proposed operation for the pipeline.
 */

export const PLAN_TOOL = 'submit_plan';

export const PlanSummary = z.strictObject({
  answer: z.string().max(20_000),
  confidence: z.number().min(0).max(1),
  rationale: z.string().max(4_000),
  ruleIds: z.array(z.string().max(60)).max(30).default([]),
  citedRecordIds: z.array(z.string().max(64)).max(100).default([]),
  citedEventIds: z.array(z.string().max(64)).max(100).default([]),
});
export type PlanSummary = z.infer<typeof PlanSummary>;

const operationTools: { name: string; type: AiOperationType; schema: z.ZodObject; description: string }[] = [
  {
    name: 'record_create',
    type: 'record.create',
    schema: RecordCreateOperation,
    description: 'Propose creating a record of an entity type. `data` holds field values by field key.',
  },
  {
    name: 'record_update',
    type: 'record.update',
    schema: RecordUpdateOperation,
    description: 'Propose changing some fields of a record (by id); `data` holds only the fields to change.',
  },
  {
    name: 'record_delete',
    type: 'record.delete',
    schema: RecordDeleteOperation,
    description: 'Propose deleting a record (by id).',
  },
  {
    name: 'record_restore',
    type: 'record.restore',
    schema: RecordRestoreOperation,
    description: 'Propose restoring a deleted record (by id).',
  },
  {
    name: 'record_revert',
    type: 'record.revert',
    schema: RecordRevertOperation,
    description: 'Propose undoing the record change of an audit event (by event id).',
  },
  {
    name: 'outbox_send',
    type: 'outbox.send',
    schema: OutboxSendOperation,
    description: 'Propose sending an email from the workspace (e.g. a reply about a ticket).',
  },
];

const toolByName = new Map(operationTools.map((t) => [t.name, t]));

function inputSchema(schema: z.ZodObject): Anthropic.Tool.InputSchema {
  // The operation type is the tool itself; the model gives the rest.
  const given = 'type' in schema.shape ? schema.omit({ type: true }) : schema;
  const json = z.toJSONSchema(given, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  return { ...json, type: 'object' };
}

export const TOOLS: Anthropic.Tool[] = [
  ...operationTools.map((t) => ({
    name: t.name,
    description: t.description,
    input_schema: inputSchema(t.schema),
  })),
  {
    name: PLAN_TOOL,
    description:
      'Finish: call exactly once, after any operation tools. `answer`: what to tell the person; `confidence`: 0 to 1; `rationale`: why these operations; `ruleIds`: the constitution rules relied on; cite the record and audit event ids used.',
    input_schema: inputSchema(PlanSummary),
  },
];

/** The operation a tool call stands for, or why it is not one. */
export function operationOfCall(
  name: string,
  input: unknown,
): { operation: AiOperation } | { error: 'unknown_tool' } | { error: 'invalid'; issues: z.core.$ZodIssue[] } {
  const tool = toolByName.get(name);
  if (!tool) return { error: 'unknown_tool' };
  const parsed = AiOperation.safeParse(
    input && typeof input === 'object' && !Array.isArray(input) ? { ...input, type: tool.type } : input,
  );
  return parsed.success ? { operation: parsed.data } : { error: 'invalid', issues: parsed.error.issues };
}

export function toolNameOf(type: AiOperationType): string {
  return operationTools.find((t) => t.type === type)?.name ?? type;
}
