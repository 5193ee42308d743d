import type { AiOperation, AuditTarget, OperationOf, Proposal, UsageAlert } from '@enclave/shared';
import { CONSTITUTION_META_KEY, readConstitution } from '../ai/constitution';
import { readAiSettings, SETTINGS_META_KEY } from '../ai/settings';
import { can, canDecideProposal } from '../policy/policy';
import type { Handler, HandlerEnv, HandlerOutcome } from './context';
import { conflict, forbidden, invalid, notFound } from './errors';

/**
 * Operations on the workspace's AI state: settings, constitution and proposals. The AI never
 * runs these on its own: settings and the constitution are changed by owners and admins, and a
 * proposal is decided by a person (approving runs its operation as that person).
 */

/** Made by the server only: the AI pipeline files proposals, the sweeper expires them, the ledger raises alerts. */
export type InternalOperation =
  | { type: 'ai.fileProposal'; proposal: Proposal }
  /** `at`: the sweeper's time, which decided that the proposal is due. */
  | { type: 'ai.expireProposal'; proposalId: string; at: string }
  | {
      type: 'ai.usageAlert';
      month: string;
      threshold: UsageAlert;
      usedTokens: number;
      allowanceTokens: number;
    };

const settingsTarget: AuditTarget = { kind: 'ai', entityType: null, id: 'settings' };
const constitutionTarget: AuditTarget = { kind: 'ai', entityType: null, id: 'constitution' };
const proposalTarget = (id: string): AuditTarget => ({ kind: 'proposal', entityType: null, id });

function requireManage(env: HandlerEnv, what: string): void {
  if (!can(env.perms, 'workspace.manage')) throw forbidden(`Only owners and admins may change ${what}`);
}

export const putSettings: Handler<OperationOf<'ai.putSettings'>> = async (op, env) => {
  requireManage(env, 'the AI settings');
  const current = await readAiSettings(env.store);
  if (JSON.stringify(current) === JSON.stringify(op.settings)) return { change: null };
  return {
    change: {
      action: 'ai.settings.update',
      target: settingsTarget,
      before: current,
      after: op.settings,
      details: null,
      mutations: [{ kind: 'meta.put', key: SETTINGS_META_KEY, value: JSON.stringify(op.settings) }],
    },
  };
};

export const putConstitution: Handler<OperationOf<'ai.putConstitution'>> = async (op, env) => {
  requireManage(env, 'the constitution');
  const current = await readConstitution(env.store);
  if (op.expectedVersion !== current.version) {
    throw conflict('The constitution has changed since you read it', { currentVersion: current.version });
  }
  const next = {
    version: current.version + 1,
    rules: op.rules,
    updatedAt: env.now,
    updatedBy: env.ctx.actor,
  };
  return {
    change: {
      action: 'ai.constitution.update',
      target: constitutionTarget,
      before: { version: current.version, rules: current.rules },
      after: { version: next.version, rules: next.rules },
      details: null,
      mutations: [{ kind: 'meta.put', key: CONSTITUTION_META_KEY, value: JSON.stringify(next) }],
    },
    result: { constitution: next },
  };
};

async function pendingProposal(env: HandlerEnv, id: string): Promise<Proposal> {
  const proposal = await env.store.getProposal(id);
  // Someone else's proposal is, to a member who may not decide it, no proposal.
  if (!proposal || !canDecideProposal(env.perms, env.ctx.principal.userId, proposal)) {
    throw notFound('Proposal');
  }
  if (proposal.status !== 'pending') throw conflict(`The proposal was already ${proposal.status}`);
  if (proposal.expiresAt <= env.now) throw conflict('The proposal has expired');
  return proposal;
}

/** The record or event an operation acts on: an edit may change the arguments, never the target. */
function targetOf(op: AiOperation): string {
  switch (op.type) {
    case 'record.create':
      return `create:${op.entityType}`;
    case 'record.revert':
      return `revert:${op.eventId}`;
    case 'outbox.send':
      return `send:${op.recordId ?? ''}`;
    default:
      return `${op.type}:${op.id}`;
  }
}

/** What every event a proposal leads to says of where it came from. */
function provenanceDetails(proposal: Proposal, edited: boolean): Record<string, unknown> {
  return {
    proposalId: proposal.id,
    requestedBy: proposal.requestedBy,
    proposedBy: 'ai',
    promptLogId: proposal.promptLogId,
    constitutionVersion: proposal.constitutionVersion,
    ruleIds: proposal.ruleIds,
    edited,
  };
}

/** Approving runs the (possibly edited) operation through its own handler, as the approving person. */
export function approveProposal(
  runOperation: (op: AiOperation, env: HandlerEnv) => Promise<HandlerOutcome>,
): Handler<OperationOf<'ai.approveProposal'>> {
  return async (op, env) => {
    const proposal = await pendingProposal(env, op.proposalId);
    const operation = op.operation ?? proposal.operation;
    const edited = JSON.stringify(operation) !== JSON.stringify(proposal.operation);
    if (edited && targetOf(operation) !== targetOf(proposal.operation)) {
      throw invalid('An edit must be the same kind of operation on the same record', [
        { path: 'operation', message: 'must keep the type and target of the proposed operation' },
      ]);
    }
    const outcome = await runOperation(operation, env);
    const eventId = env.newId();
    const decided: Proposal = {
      ...proposal,
      status: 'approved',
      operation,
      edited,
      decidedBy: env.ctx.actor,
      decidedAt: env.now,
      executedEventId: outcome.change ? eventId : null,
    };
    const mutation = { kind: 'ai.proposal.put' as const, proposal: decided };
    const details = provenanceDetails(proposal, edited);
    if (!outcome.change) {
      // Nothing to change (e.g. the record already holds those values): the decision is still on record.
      return {
        change: {
          action: 'ai.proposal.approve',
          target: proposalTarget(proposal.id),
          before: { status: 'pending' },
          after: { status: 'approved' },
          details: { ...details, noChange: true },
          mutations: [mutation],
          eventId,
        },
        result: { ...outcome.result, proposal: { ...decided, executedEventId: eventId } },
      };
    }
    return {
      change: {
        ...outcome.change,
        eventId,
        details: { ...(outcome.change.details ?? {}), ...details },
        mutations: [...outcome.change.mutations, mutation],
      },
      result: { ...outcome.result, proposal: decided },
    };
  };
}

export const rejectProposal: Handler<OperationOf<'ai.rejectProposal'>> = async (op, env) => {
  const proposal = await pendingProposal(env, op.proposalId);
  const decided: Proposal = {
    ...proposal,
    status: 'rejected',
    decidedBy: env.ctx.actor,
    decidedAt: env.now,
    rejectReason: op.reason,
  };
  const mutations: NonNullable<HandlerOutcome['change']>['mutations'] = [
    { kind: 'ai.proposal.put', proposal: decided },
  ];
  let constitutionVersion: number | null = null;
  if (op.addRule) {
    requireManage(env, 'the constitution');
    const current = await readConstitution(env.store);
    if (current.rules.some((r) => r.id === op.addRule?.id)) {
      throw invalid('The constitution already has a rule with this id', [
        { path: 'addRule.id', message: 'already in use' },
      ]);
    }
    if (current.rules.length >= 100) throw invalid('The constitution holds 100 rules at most');
    constitutionVersion = current.version + 1;
    const next = {
      version: constitutionVersion,
      rules: [...current.rules, op.addRule],
      updatedAt: env.now,
      updatedBy: env.ctx.actor,
    };
    mutations.push({ kind: 'meta.put', key: CONSTITUTION_META_KEY, value: JSON.stringify(next) });
  }
  return {
    change: {
      action: 'ai.proposal.reject',
      target: proposalTarget(proposal.id),
      before: { status: 'pending' },
      after: { status: 'rejected', reason: op.reason },
      details: {
        ...provenanceDetails(proposal, false),
        addedRule: op.addRule ?? null,
        newConstitutionVersion: constitutionVersion,
      },
      mutations,
    },
    result: { proposal: decided },
  };
};

export const fileProposal: Handler<Extract<InternalOperation, { type: 'ai.fileProposal' }>> = async (op) => {
  const { proposal } = op;
  return {
    change: {
      action: 'ai.proposal.file',
      target: proposalTarget(proposal.id),
      before: null,
      after: {
        summary: proposal.summary,
        operation: proposal.operation,
        risk: proposal.risk,
        reasons: proposal.reasons,
        fromRecordText: proposal.fromRecordText,
      },
      details: {
        requestedBy: proposal.requestedBy,
        promptLogId: proposal.promptLogId,
        constitutionVersion: proposal.constitutionVersion,
        ruleIds: proposal.ruleIds,
      },
      mutations: [{ kind: 'ai.proposal.put', proposal }],
    },
  };
};

export const expireProposal: Handler<Extract<InternalOperation, { type: 'ai.expireProposal' }>> = async (
  op,
  env,
) => {
  const proposal = await env.store.getProposal(op.proposalId);
  if (!proposal || proposal.status !== 'pending' || proposal.expiresAt > op.at) return { change: null };
  return {
    change: {
      action: 'ai.proposal.expire',
      target: proposalTarget(proposal.id),
      before: { status: 'pending' },
      after: { status: 'expired' },
      details: { requestedBy: proposal.requestedBy, expiresAt: proposal.expiresAt },
      mutations: [{ kind: 'ai.proposal.put', proposal: { ...proposal, status: 'expired' } }],
    },
  };
};

export const alertKey = (month: string, threshold: UsageAlert) => `ai.alert.${month}.${threshold}`;

/** Raises a usage alert once per month and threshold: the marker and the event commit together. */
export const usageAlert: Handler<Extract<InternalOperation, { type: 'ai.usageAlert' }>> = async (op, env) => {
  const key = alertKey(op.month, op.threshold);
  if ((await env.store.getMeta(key)) !== null) return { change: null };
  return {
    change: {
      action: 'ai.usage.alert',
      target: { kind: 'ai', entityType: null, id: 'usage' },
      before: null,
      after: {
        month: op.month,
        threshold: op.threshold,
        usedTokens: op.usedTokens,
        allowanceTokens: op.allowanceTokens,
      },
      details: null,
      mutations: [{ kind: 'meta.put', key, value: env.now }],
    },
    result: { fired: true },
  };
};
