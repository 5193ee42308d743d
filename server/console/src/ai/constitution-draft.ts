import type { z } from 'zod';
import type { AiOperationType, ConstitutionRule, PutConstitutionBody, RuleEffect } from '@enclave/shared';
import type { ApiError } from '../api/client';

/**
 * The constitution's rules as the editor holds them while they are changed: text as typed, and
 * each rule with a draft id of its own, so that a rule keeps its errors while its id is edited or
 * it is moved.
 */
export interface RuleDraft {
  draftId: string;
  id: string;
  text: string;
  effect: RuleEffect;
  /** The operations the rule applies to; none ticked: every operation. */
  operations: AiOperationType[];
  /** Entity type keys, separated by commas; empty: every type. */
  entityTypes: string;
  /** Field keys, separated by commas; empty: whatever the operation sets. */
  fields: string;
}

export type RuleProp = 'id' | 'text' | 'effect' | 'operations' | 'entityTypes' | 'fields';

let nextDraftId = 0;
function newDraftId(): string {
  nextDraftId += 1;
  return `r${String(nextDraftId)}`;
}

export function newRule(): RuleDraft {
  return {
    draftId: newDraftId(),
    id: '',
    text: '',
    effect: 'guidance',
    operations: [],
    entityTypes: '',
    fields: '',
  };
}

export function rulesDraftOf(rules: readonly ConstitutionRule[]): RuleDraft[] {
  return rules.map((rule) => ({
    draftId: newDraftId(),
    id: rule.id,
    text: rule.text,
    effect: rule.effect,
    operations: [...(rule.match?.operations ?? [])],
    entityTypes: (rule.match?.entityTypes ?? []).join(', '),
    fields: (rule.match?.fields ?? []).join(', '),
  }));
}

function keysOf(text: string): string[] {
  return text
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key !== '');
}

/**
 * The body of `putConstitution`. Nothing is checked here: the server's validation says what is
 * wrong, and the editor shows its words on the rule they concern. Empty lists are left out, since
 * an absent list is what matches everything.
 */
export function constitutionBodyOf(
  drafts: readonly RuleDraft[],
  expectedVersion: number,
): z.input<typeof PutConstitutionBody> {
  return {
    expectedVersion,
    rules: drafts.map((draft) => {
      const match: NonNullable<ConstitutionRule['match']> = {};
      if (draft.operations.length > 0) match.operations = [...draft.operations];
      const entityTypes = keysOf(draft.entityTypes);
      if (entityTypes.length > 0) match.entityTypes = entityTypes;
      const fields = keysOf(draft.fields);
      if (fields.length > 0) match.fields = fields;
      const rule: ConstitutionRule = { id: draft.id.trim(), text: draft.text, effect: draft.effect };
      if (Object.keys(match).length > 0) rule.match = match;
      return rule;
    }),
  };
}

export interface PlacedRuleIssues {
  /** By the rule's draft id, then by its property (`rule`: the rule as a whole). */
  rules: Record<string, Partial<Record<RuleProp | 'rule', string>>>;
  /** Issues about the list itself (ids not unique, too many rules) and anything else. */
  other: string[];
  count: number;
}

export const NO_RULE_ISSUES: PlacedRuleIssues = { rules: {}, other: [], count: 0 };

const RULE_PROPS: readonly string[] = ['id', 'text', 'effect'];
const MATCH_PROPS: readonly string[] = ['operations', 'entityTypes', 'fields'];

/**
 * Places a refusal's issues on the rules that were sent: `body.rules.2.id` on the third rule's id,
 * `body.rules.2.match.entityTypes.0` on its entity types, `body.rules` (ids not unique) above the
 * list.
 */
export function placeRuleIssues(error: ApiError, sent: readonly RuleDraft[]): PlacedRuleIssues {
  const placed: PlacedRuleIssues = { rules: {}, other: [], count: 0 };
  for (const issue of error.issues) {
    placed.count += 1;
    const [head, index, prop, matchProp] = issue.path.replace(/^body\./, '').split('.');
    const rule =
      head === 'rules' && index !== undefined && /^\d+$/.test(index) ? sent[Number(index)] : undefined;
    if (rule) {
      const where =
        prop !== undefined && RULE_PROPS.includes(prop)
          ? (prop as RuleProp)
          : prop === 'match' && matchProp !== undefined && MATCH_PROPS.includes(matchProp)
            ? (matchProp as RuleProp)
            : 'rule';
      (placed.rules[rule.draftId] ??= {})[where] ??= issue.message;
      continue;
    }
    placed.other.push(issue.message);
  }
  return placed;
}
