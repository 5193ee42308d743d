import type { AiFeature, AiOperationType, RuleEffect, TrustCategory, TrustMode } from '@enclave/shared';

/** The words of the AI settings and usage pages: what each switch, mode and operation means. */

export const FEATURE_SWITCHES: Record<AiFeature, { label: string; hint: string }> = {
  assistant: { label: 'Assistant', hint: 'Questions and changes asked in plain words.' },
  triage: { label: 'Ticket triage', hint: 'Suggests a ticket’s priority, category and assignee.' },
  draftReply: { label: 'Draft replies', hint: 'Drafts a reply to a ticket; sending it waits for a person.' },
  summary: { label: 'Summaries', hint: 'Summarises a record and its history.' },
  auditQuestions: { label: 'Audit questions', hint: 'Answers questions about the audit log.' },
};

export const TRUST_CATEGORIES: Record<TrustCategory, { label: string; hint: string }> = {
  records: { label: 'Changes to records', hint: 'What the assistant is asked to create or change.' },
  triage: { label: 'Ticket triage', hint: 'The priority, category and assignee it suggests for a ticket.' },
};

export const TRUST_MODES: Record<TrustMode, { label: string; explanation: string }> = {
  trustedAuto: {
    label: 'Trusted Auto',
    explanation:
      'Low-risk changes run at once, as the person who asked, when the AI is at least as sure as the threshold below and nothing else holds them back. Everything else waits for a person.',
  },
  proposeOnly: {
    label: 'Propose Only',
    explanation: 'Every change is filed as a proposal and waits for a person to approve it.',
  },
};

/** Said beside the trust modes: what no mode can make run on its own. */
export const ALWAYS_WAITS =
  'Whatever the mode, deletions, undo and anything that leaves the workspace (an email) always wait for a person.';

export const OPERATION_LABELS: Record<AiOperationType, string> = {
  'record.create': 'Create a record',
  'record.update': 'Change a record',
  'record.delete': 'Delete a record',
  'record.restore': 'Restore a record',
  'record.revert': 'Undo a change',
  'outbox.send': 'Send an email',
};

export const RULE_EFFECTS: Record<RuleEffect, { label: string; explanation: string }> = {
  guidance: { label: 'Guidance', explanation: 'Only guides the AI; the server holds nothing back by it.' },
  requireApproval: {
    label: 'Needs a person',
    explanation: 'Every operation it matches waits for a person’s approval.',
  },
  forbid: { label: 'Forbidden', explanation: 'Every operation it matches is refused.' },
};

/** "1,234,567" in the browser's language. */
export function tokens(count: number): string {
  return count.toLocaleString();
}
