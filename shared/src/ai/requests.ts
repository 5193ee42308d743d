import { z } from 'zod';
import { RecordId } from '../ids';

const Message = z.string().trim().min(1).max(2_000);

/** One AI request; each feature names what it works on. */
export const AiRequestBody = z.discriminatedUnion('feature', [
  /** A request in plain words; `recordId`: the record open when it was asked. */
  z.strictObject({ feature: z.literal('assistant'), message: Message, recordId: RecordId.optional() }),
  /** Suggests priority, category and assignee for a ticket. */
  z.strictObject({ feature: z.literal('triage'), recordId: RecordId }),
  /** Drafts a reply to a ticket; sending it is an outbound operation that waits for a person. */
  z.strictObject({
    feature: z.literal('draftReply'),
    recordId: RecordId,
    instructions: z.string().trim().min(1).max(1_000).optional(),
  }),
  /** Summarises a record and its history. */
  z.strictObject({ feature: z.literal('summary'), recordId: RecordId }),
  /** A question about the audit log ("who changed INV-0089's status, and when?"). */
  z.strictObject({ feature: z.literal('auditQuestions'), message: Message }),
]);
export type AiRequestBody = z.infer<typeof AiRequestBody>;
