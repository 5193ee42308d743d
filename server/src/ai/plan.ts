import { issuesOf, type AiOperation, type ErrorIssue } from '@enclave/shared';
import { z } from 'zod';
import { AppError } from '../engine/errors';
import type { ModelMessage } from './provider';
import { operationOfCall, PLAN_TOOL, PlanSummary } from './tools';

/**
 * Reads the model's answer as a plan: each operation tool call becomes a proposed operation (or a
 * refusal, when the tool does not exist or its input is no operation), and `submit_plan` gives the
 * answer, confidence, rationale and cited rules. An answer that is no plan at all is refused whole.
 */

const MAX_OPERATIONS = 20;

export interface PlannedCall {
  tool: string;
  operation: AiOperation | null;
  /** Why the call is no operation: an unknown tool, or input the operation's schema refuses. */
  refusal: { code: 'forbidden' | 'validation_failed'; message: string; issues?: ErrorIssue[] } | null;
}

export interface ParsedPlan extends PlanSummary {
  calls: PlannedCall[];
}

export function parsePlan(message: ModelMessage): ParsedPlan {
  const toolUses = message.content.filter((b) => b.type === 'tool_use');
  const summaries = toolUses.filter((b) => b.name === PLAN_TOOL);
  if (summaries.length !== 1) {
    throw new AppError(
      'ai_plan_invalid',
      summaries.length === 0
        ? 'The model gave no plan; nothing was changed. Try asking again.'
        : 'The model gave more than one plan; nothing was changed. Try asking again.',
    );
  }
  const summary = PlanSummary.safeParse((summaries[0] as { input: unknown }).input);
  if (!summary.success) {
    throw new AppError('ai_plan_invalid', "The model's plan is malformed; nothing was changed.", {
      issues: issuesOf(summary.error),
    });
  }
  const calls = toolUses.filter((b) => b.name !== PLAN_TOOL);
  if (calls.length > MAX_OPERATIONS) {
    throw new AppError(
      'ai_plan_invalid',
      `The model proposed ${String(calls.length)} operations, more than the ${String(MAX_OPERATIONS)} a plan may hold; nothing was changed.`,
    );
  }
  return {
    ...summary.data,
    calls: calls.map((call): PlannedCall => {
      const result = operationOfCall(call.name, call.input);
      if ('operation' in result) return { tool: call.name, operation: result.operation, refusal: null };
      if (result.error === 'unknown_tool') {
        return {
          tool: call.name,
          operation: null,
          refusal: {
            code: 'forbidden',
            message: `The AI may not do this (${call.name.slice(0, 64)}): it may only propose record changes and messages`,
          },
        };
      }
      return {
        tool: call.name,
        operation: null,
        refusal: {
          code: 'validation_failed',
          message: 'The proposed operation is not valid',
          issues: issuesOf(new z.ZodError(result.issues)),
        },
      };
    }),
  };
}
