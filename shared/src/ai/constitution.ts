import { z } from 'zod';
import { Actor } from '../actors';
import { IsoDateTime, Key } from '../ids';
import { refuseUnsafeCharacters } from '../names';

/** Rule ids are short slugs (`no-admin-changes`), cited by plans and decisions. */
export const RuleId = z
  .string()
  .min(2)
  .max(40)
  .regex(/^[a-z][a-z0-9-]*$/, 'must start with a-z and use only a-z, 0-9 and -');
export type RuleId = z.infer<typeof RuleId>;

/**
 * What a rule does beyond guiding the model: `guidance` only goes into the system prompt;
 * `requireApproval` makes every matching operation wait for a person; `forbid` refuses it. Rules
 * only ever restrict: no rule can make an operation run that would otherwise wait.
 */
export const RuleEffect = z.enum(['guidance', 'requireApproval', 'forbid']);
export type RuleEffect = z.infer<typeof RuleEffect>;

export const AI_OPERATION_TYPES = [
  'record.create',
  'record.update',
  'record.delete',
  'record.restore',
  'record.revert',
  'outbox.send',
] as const;
export const AiOperationType = z.enum(AI_OPERATION_TYPES);
export type AiOperationType = z.infer<typeof AiOperationType>;

/** Which operations a rule applies to; every given list must match (an absent list matches all). */
export const RuleMatch = z.strictObject({
  operations: z.array(AiOperationType).min(1).max(6).optional(),
  entityTypes: z.array(Key).min(1).max(50).optional(),
  /** Fields the operation sets (record.create/update); an operation touching any of them matches. */
  fields: z.array(Key).min(1).max(100).optional(),
});
export type RuleMatch = z.infer<typeof RuleMatch>;

export const ConstitutionRule = z.strictObject({
  id: RuleId,
  text: z.string().trim().min(1).max(500).superRefine(refuseUnsafeCharacters),
  effect: RuleEffect,
  match: RuleMatch.optional(),
});
export type ConstitutionRule = z.infer<typeof ConstitutionRule>;

export const ConstitutionRules = z
  .array(ConstitutionRule)
  .max(100)
  .refine((rules) => new Set(rules.map((r) => r.id)).size === rules.length, 'rule ids must be unique');

export const Constitution = z.object({
  /** 1 for the default that ships; +1 on every change. */
  version: z.number().int().positive(),
  rules: z.array(ConstitutionRule),
  updatedAt: IsoDateTime.nullable(),
  updatedBy: Actor.nullable(),
});
export type Constitution = z.infer<typeof Constitution>;

export const PutConstitutionBody = z.strictObject({
  rules: ConstitutionRules,
  /** The version the edit was made from: a change made meanwhile answers 409. */
  expectedVersion: z.number().int().positive(),
});
export type PutConstitutionBody = z.infer<typeof PutConstitutionBody>;
