import {
  findEntityType,
  type AiFeature,
  type AiOperation,
  type ArgumentSource,
  type EntityTypeDef,
  type HoldReason,
  type OperationDecision,
  type ProposalStatus,
  type RiskClass,
  type RuleEffect,
  type WorkspaceSchema,
} from '@enclave/shared';
import { displayValue, humanise, plainText, type TitleLookup } from '../records';

/**
 * What people read about the AI's work, in one place for the desktop app and the web console:
 * why an operation waits, where its arguments came from, what it does. The server decides all of
 * it; these are only its words.
 */

export interface Words {
  /** A few words, for badges and lists. */
  label: string;
  /** A sentence saying what it means, for people who have not met it before. */
  explanation: string;
}

export const HOLD_REASON_WORDS: Record<HoldReason, Words> = {
  proposeOnly: {
    label: 'Propose Only',
    explanation: 'This kind of change is set to Propose Only: a person approves every one.',
  },
  lowConfidence: {
    label: 'Not sure enough',
    explanation: 'The AI was not sure enough of its plan to act on its own.',
  },
  highRisk: {
    label: 'High risk',
    explanation:
      'It changes something that matters — money, a status, contact details, a link between records — or removes something.',
  },
  irreversible: {
    label: 'Cannot be undone',
    explanation: 'Once done, it cannot be taken back.',
  },
  outbound: {
    label: 'Leaves the workspace',
    explanation: 'It sends something out of the workspace.',
  },
  fromRecordText: {
    label: 'From record text',
    explanation:
      'A sensitive value came from text in the records that others wrote, not from the request: it could be a prompt injection.',
  },
  notFromRequest: {
    label: 'Made up',
    explanation: 'A sensitive value is neither in the request nor in the records: the AI made it up.',
  },
  ruleRequiresApproval: {
    label: 'A rule asks for a person',
    explanation: 'A rule of the workspace’s constitution says that a person approves this.',
  },
};

export const ARGUMENT_SOURCE_WORDS: Record<ArgumentSource, Words> = {
  request: {
    label: 'The request',
    explanation: 'In the words of the person who asked.',
  },
  namedRecord: {
    label: 'The record asked about',
    explanation: 'A field (not free text) of the record the request is about.',
  },
  recordText: {
    label: 'Record text',
    explanation:
      'Text in records, emails or the audit log, which anyone who can write a record could have put there.',
  },
  model: {
    label: 'Made up by the AI',
    explanation: 'Neither in the request nor in the records.',
  },
};

export const DECISION_WORDS: Record<OperationDecision['decision'], string> = {
  executed: 'Ran',
  proposed: 'Waiting for approval',
  refused: 'Refused',
};

export const RISK_WORDS: Record<RiskClass, string> = {
  low: 'Low risk',
  high: 'High risk',
  irreversible: 'Cannot be undone',
};

export const PROPOSAL_STATUS_WORDS: Record<ProposalStatus, string> = {
  pending: 'Waiting for approval',
  approved: 'Approved',
  rejected: 'Rejected',
  expired: 'Expired',
};

export const FEATURE_WORDS: Record<AiFeature, string> = {
  assistant: 'Assistant',
  triage: 'Ticket triage',
  draftReply: 'Draft reply',
  summary: 'Summary',
  auditQuestions: 'Audit question',
};

/** One entry of the assistant's menu of features. */
export interface FeatureChoice {
  feature: AiFeature;
  /** What the choice is called in the menu. */
  label: string;
  /** `message`: a request in words; `record`: the record it works on. */
  needs: 'message' | 'record';
  hint: string;
}

/**
 * The assistant's menu, the same in the desktop app and the console but for what each calls the
 * audit log (the desktop's Activity view, the console's Audit log page).
 */
export function featureChoices(auditLogName: string): readonly FeatureChoice[] {
  return [
    {
      feature: 'assistant',
      label: 'Ask the assistant',
      needs: 'message',
      hint: 'Ask in plain words: find records, or change them. Changes run only as the workspace’s trust settings allow; the rest waits for approval.',
    },
    {
      feature: 'auditQuestions',
      label: `Ask about the ${auditLogName}`,
      needs: 'message',
      hint: 'Who changed what, and when. The answer cites the events it read.',
    },
    {
      feature: 'summary',
      label: 'Summarise a record',
      needs: 'record',
      hint: 'A summary of one record and its history.',
    },
    {
      feature: 'triage',
      label: 'Triage a ticket',
      needs: 'record',
      hint: 'Suggests a priority, category and assignee for a ticket.',
    },
    {
      feature: 'draftReply',
      label: 'Draft a reply to a ticket',
      needs: 'record',
      hint: 'Drafts an email about a ticket. Sending it always waits for a person.',
    },
  ];
}

export const RULE_EFFECT_WORDS: Record<RuleEffect, Words> = {
  guidance: { label: 'Guidance', explanation: 'Only guides the AI; nothing is held back by it.' },
  requireApproval: {
    label: 'Needs a person',
    explanation: 'Every matching operation waits for a person’s approval.',
  },
  forbid: { label: 'Forbidden', explanation: 'Every matching operation is refused.' },
};

/** "92%": how sure the AI said it was. */
export function confidenceText(confidence: number): string {
  return `${Math.round(Math.min(1, Math.max(0, confidence)) * 100)}%`;
}

/** The words of an operation's argument path (`data.status`, `to`, `id`), with the field's label when known. */
export function argumentLabel(path: string, entity?: EntityTypeDef): string {
  if (path.startsWith('data.')) {
    const key = path.slice('data.'.length);
    return entity?.fields.find((f) => f.key === key)?.label ?? humanise(key);
  }
  switch (path) {
    case 'id':
      return 'Which record';
    case 'entityType':
      return 'Record type';
    case 'eventId':
      return 'Which change to undo';
    case 'to':
      return 'Recipient';
    case 'subject':
      return 'Subject';
    case 'body':
      return 'Message';
    case 'recordId':
      return 'Record it is about';
    default:
      return path;
  }
}

/** The record an operation is about, for a link: none for a create without an id, or an undo. */
export function operationRecordId(op: AiOperation): string | null {
  switch (op.type) {
    case 'record.create':
      return op.id ?? null;
    case 'record.update':
    case 'record.delete':
    case 'record.restore':
      return op.id;
    case 'outbox.send':
      return op.recordId ?? null;
    case 'record.revert':
      return null;
  }
}

/** What the operation's target is, as far as the caller knows it (its type and title). */
export interface TargetInfo {
  type?: string | null;
  title?: string | null;
}

const MAX_VALUE = 60;

function shorten(text: string): string {
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

/** A proposed value as people read it: formatted by its field, a secret never shown. */
export function proposedValue(
  field: EntityTypeDef['fields'][number] | undefined,
  value: unknown,
  titles?: TitleLookup,
): string {
  if (value === null || value === undefined || value === '') return 'empty';
  if (!field) return shorten(plainText(value));
  if (field.sensitivity === 'secret') return 'a secret value';
  if (field.type === 'reference' && typeof value === 'string')
    return shorten((field.refType && titles?.(field.refType, value)) || `record ${value}`);
  return shorten(displayValue(field, value, titles));
}

function changes(
  data: Record<string, unknown>,
  entity: EntityTypeDef | undefined,
  titles?: TitleLookup,
): string {
  return Object.entries(data)
    .map(([key, value]) => {
      const field = entity?.fields.find((f) => f.key === key);
      return `${field?.label ?? humanise(key)} → ${proposedValue(field, value, titles)}`;
    })
    .join(', ');
}

/**
 * An operation in plain words, for a list ("Update invoice “INV-0089”: Status → Paid"). The
 * schema gives labels and formats; `target` what the caller knows of the record it changes.
 */
export function operationSummary(
  op: AiOperation,
  schema: WorkspaceSchema | null | undefined,
  target: TargetInfo = {},
  titles?: TitleLookup,
): string {
  const typeKey = op.type === 'record.create' ? op.entityType : (target.type ?? null);
  const entity = schema && typeKey ? findEntityType(schema, typeKey) : undefined;
  const kind = entity?.label.toLowerCase() ?? (typeKey ? humanise(typeKey).toLowerCase() : 'record');
  const name = (id: string) => (target.title ? `${kind} “${target.title}”` : `${kind} ${id}`);
  switch (op.type) {
    case 'record.create': {
      const title = entity ? op.data[entity.titleField] : undefined;
      const head =
        typeof title === 'string' && title.trim()
          ? `Create ${kind} “${shorten(title.trim())}”`
          : `Create ${kind}`;
      const rest = changes(op.data, entity, titles);
      return rest ? `${head}: ${rest}` : head;
    }
    case 'record.update': {
      const rest = changes(op.data, entity, titles);
      return rest ? `Update ${name(op.id)}: ${rest}` : `Update ${name(op.id)}`;
    }
    case 'record.delete':
      return `Delete ${name(op.id)}`;
    case 'record.restore':
      return `Restore ${name(op.id)}`;
    case 'record.revert':
      return `Undo an earlier change (event ${op.eventId})`;
    case 'outbox.send':
      return `Send an email to ${op.to}: “${shorten(op.subject)}”`;
  }
}

/** Every reason an operation waits, as one sentence each. */
export function holdReasonSentences(reasons: readonly HoldReason[]): string[] {
  return [...new Set(reasons)].map((reason) => HOLD_REASON_WORDS[reason].explanation);
}

/** What to do when the AI refused a request as a whole, by error code; null for other failures. */
export interface RefusalWords {
  title: string;
  /** What the person can do about it. */
  advice: string;
  /** For a server without a model: the server's own instructions for setting one up. */
  howToEnable?: string;
}

export function aiRefusalWords(code: string, canManage: boolean, details?: unknown): RefusalWords | null {
  const howToEnable =
    typeof details === 'object' && details !== null && 'howToEnable' in details
      ? String(details.howToEnable)
      : null;
  switch (code) {
    case 'ai_disabled':
      return {
        title: 'AI is switched off here',
        advice: canManage
          ? 'You can switch it on in this workspace’s AI settings.'
          : 'Ask an owner or admin of this workspace to switch it on in the AI settings.',
      };
    case 'ai_not_configured':
      return {
        title: 'This server has no AI model set up',
        advice: 'This is set up where the server runs, by whoever runs it: no workspace setting changes it.',
        ...(howToEnable ? { howToEnable } : {}),
      };
    case 'ai_allowance_spent':
      return {
        title: 'This month’s AI allowance is used up',
        advice: canManage
          ? 'Raise the monthly allowance or allow a top-up in this workspace’s AI settings, or wait for next month.'
          : 'It comes back next month; an owner or admin can raise the allowance or allow a top-up sooner.',
      };
    case 'ai_unavailable':
      return {
        title: 'The AI model did not answer',
        advice: 'Nothing was changed. Try again in a minute.',
      };
    case 'ai_plan_invalid':
      return {
        title: 'The AI’s answer could not be used',
        advice: 'Nothing was changed and nothing was filed. Try again, perhaps in other words.',
      };
    default:
      return null;
  }
}
