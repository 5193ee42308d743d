import {
  type Actor,
  type AiAnswer,
  type AiOperation,
  type AiRequestBody,
  type AiSettings,
  type AiSettingsView,
  type Constitution,
  type OperationDecision,
  type Proposal,
  type PromptLogPage,
  type PromptLogQuery,
  type ProposalDecided,
  type ProposalPage,
  type ProposalQuery,
  type UsageSummary,
  type WorkspaceRecord,
} from '@enclave/shared';
import type { Mailer } from '../auth/mailer';
import type { OperationContext } from '../engine/context';
import type { CommandEngine } from '../engine/engine';
import { AppError, forbidden, notFound } from '../engine/errors';
import type { WorkspaceAccess } from '../http/workspace-access';
import type { Logger } from '../logger';
import { can, canDecideProposal } from '../policy/policy';
import type { Store, WorkspaceStore } from '../store/types';
import { checkRules, citedRules, readConstitution, targetEntityType } from './constitution';
import { buildContext, type ModelContext } from './context';
import { callModel } from './model-call';
import { parsePlan, type ParsedPlan } from './plan';
import { fromRecordText, provenanceOf } from './provenance';
import { buildProposal, summarise } from './proposals';
import { HOW_TO_ENABLE, type AiProvider } from './provider';
import { riskOf } from './risk';
import { readAiSettings } from './settings';
import { checkSwitches } from './switches';
import { categoryOf, holdReasons } from './trust';
import { alertsReached, monthOf, summariseUsage, tokensOf } from './usage';
import { validateOperations } from './validation';

export interface AiServiceDeps {
  store: Store;
  engine: CommandEngine;
  provider: AiProvider;
  mailer: Mailer;
  logger: Logger;
  /** The console's address, for links in alert emails. */
  origin: () => string;
  clock?: () => Date;
}

const SYSTEM_ACTOR: Actor = { kind: 'system', id: 'enclave', label: 'Enclave' };

/** The entity type whose new records are triaged as they are made. */
export const TICKET_TYPE = 'ticket';
/** The triage fields a person fills in when they triage a ticket themselves (priority is always set). */
const OPTIONAL_TRIAGE_FIELDS = ['category', 'assignee'];

/** How a request reached the pipeline: asked for by a person, or started by a new ticket. */
export interface RequestTrigger {
  newTicket?: boolean;
}

/** What a feature without a message asks for, as the request the model and provenance see. */
function requestTextOf(body: AiRequestBody, trigger: RequestTrigger): string {
  switch (body.feature) {
    case 'assistant':
    case 'auditQuestions':
      return body.message;
    case 'triage':
      return trigger.newTicket ? 'Triage this new ticket.' : 'Triage this ticket.';
    case 'draftReply':
      return body.instructions ?? 'Draft a reply to this ticket.';
    case 'summary':
      return 'Summarise this record and its history.';
  }
}

/**
 * The AI pipeline, one stage per module: switches → context → model call → plan → validation →
 * constitution → risk → provenance → trust → execute or propose. The model proposes; the command
 * engine validates and executes, as the person who asked; people approve what is risky.
 */
export class AiService {
  private readonly now: () => Date;

  constructor(private readonly deps: AiServiceDeps) {
    this.now = deps.clock ?? (() => new Date());
  }

  async settingsView(ws: WorkspaceStore): Promise<AiSettingsView> {
    const { provider } = this.deps;
    return {
      settings: await readAiSettings(ws),
      provider: { configured: provider.configured, model: provider.model },
      howToEnable: provider.configured ? null : HOW_TO_ENABLE,
    };
  }

  async putSettings(access: WorkspaceAccess, settings: AiSettings): Promise<AiSettingsView> {
    await this.deps.engine.execute(access.ctx, { type: 'ai.putSettings', settings });
    return this.settingsView(access.ws);
  }

  async constitution(ws: WorkspaceStore): Promise<Constitution> {
    return readConstitution(ws);
  }

  async putConstitution(
    access: WorkspaceAccess,
    rules: Constitution['rules'],
    expectedVersion: number,
  ): Promise<Constitution> {
    await this.deps.engine.execute(access.ctx, { type: 'ai.putConstitution', rules, expectedVersion });
    return readConstitution(access.ws);
  }

  async request(
    access: WorkspaceAccess,
    body: AiRequestBody,
    trigger: RequestTrigger = {},
  ): Promise<AiAnswer> {
    const { ws, perms, ctx } = access;
    const now = this.now();
    const settings = await readAiSettings(ws);
    const month = monthOf(now);
    const usedTokens = tokensOf(await ws.usageBetween(month.from, month.to));
    checkSwitches(settings, body.feature, this.deps.provider, {
      usedTokens,
      allowanceTokens: settings.monthlyAllowanceTokens,
    });

    const schema = await ws.getSchema();
    const request = requestTextOf(body, trigger);
    const context = await buildContext({
      ws,
      schema,
      perms,
      userId: ctx.principal.userId,
      feature: body.feature,
      request,
      recordId: 'recordId' in body && body.recordId !== undefined ? body.recordId : null,
    });
    const constitution = await readConstitution(ws);
    // The person the AI works for: the user, or the owner of the device that asked.
    const person = { id: ctx.principal.userId, label: ctx.principal.email };
    const call = await callModel({
      provider: this.deps.provider,
      ws,
      context,
      constitution,
      requester: { ...person, name: ctx.principal.name },
      now: this.now,
    });
    await this.raiseUsageAlerts(access, settings, usedTokens + call.inputTokens + call.outputTokens);

    const plan = parsePlan(call.message);
    const rules = citedRules(constitution, plan.ruleIds);
    const agentCtx: OperationContext = {
      ...ctx,
      actor: { kind: 'agent', id: person.id, label: `Enclave AI for ${person.label}` },
      eventDetails: {
        onBehalfOf: person,
        ...(ctx.actor.kind === 'device' ? { viaDevice: { id: ctx.actor.id, label: ctx.actor.label } } : {}),
        feature: body.feature,
        ...(trigger.newTicket ? { trigger: 'newTicket' } : {}),
        promptLogId: call.promptLogId,
        constitutionVersion: constitution.version,
        ruleIds: rules.known,
      },
    };
    const decisions = await this.decide(agentCtx, ws, context, constitution, settings, plan, body.feature);
    await this.executeRunnable(agentCtx, decisions);
    await this.fileProposals(agentCtx, decisions, {
      feature: body.feature,
      request,
      plan,
      constitution,
      promptLogId: call.promptLogId,
      settings,
      schema: context.schema,
    });

    const citedRecords = [...new Set(plan.citedRecordIds)];
    const citedEvents = [...new Set(plan.citedEventIds)];
    const records = citedRecords.flatMap((id) => {
      const item = context.records.get(id);
      return item ? [{ id, type: item.record.type, title: item.title }] : [];
    });
    const events = citedEvents.flatMap((id) => {
      const item = context.events.get(id);
      return item ? [{ id, seq: item.event.seq, action: item.event.action }] : [];
    });
    return {
      requestId: call.promptLogId,
      feature: body.feature,
      text: plan.answer,
      citations: { records, events },
      droppedCitations: citedRecords.length + citedEvents.length - records.length - events.length,
      confidence: plan.confidence,
      rationale: plan.rationale,
      ruleIds: rules.known,
      unknownRuleIds: rules.unknown,
      constitutionVersion: constitution.version,
      operations: decisions.map(({ decision }) => decision),
      usage: { inputTokens: call.inputTokens, outputTokens: call.outputTokens },
    };
  }

  /**
   * Triages a ticket just made, on behalf of whoever made it: the person, the owner of the device,
   * or the person an agent acted for, with that person's rights now. null when nothing was asked
   * of the model: AI, triage or new-ticket triage off, no provider, the ticket gone or already
   * triaged by its maker (category and assignee filled in), or its maker no longer a member.
   */
  async triageNewTicket(workspaceId: string, recordId: string, maker: Actor): Promise<AiAnswer | null> {
    const ws = await this.deps.store.workspace(workspaceId);
    if (!ws || !this.deps.provider.configured) return null;
    const settings = await readAiSettings(ws);
    if (!settings.enabled || !settings.features.triage || !settings.triageNewTickets) return null;
    const record = await ws.getRecord(recordId);
    if (!record || record.type !== TICKET_TYPE || record.deletedAt !== null) return null;
    const entity = (await ws.getSchema()).entityTypes.find((e) => e.key === TICKET_TYPE);
    const optional = OPTIONAL_TRIAGE_FIELDS.filter((key) => entity?.fields.some((f) => f.key === key));
    const filled = (key: string) =>
      record.data[key] !== undefined && record.data[key] !== null && record.data[key] !== '';
    if (optional.length > 0 && optional.every(filled)) return null;

    const userId =
      maker.kind === 'user' || maker.kind === 'agent'
        ? maker.id
        : maker.kind === 'device'
          ? ((await ws.getDevice(maker.id))?.ownerId ?? null)
          : null;
    const member = userId === null ? null : await ws.getMember(userId);
    if (!member) return null;
    const access: WorkspaceAccess = {
      ws,
      member,
      perms: await this.deps.engine.permissionsOf(ws, member.userId),
      ctx: {
        workspaceId,
        actor: maker.kind === 'device' ? maker : { kind: 'user', id: member.userId, label: member.email },
        principal: { userId: member.userId, email: member.email, name: member.name },
        request: { ip: null, userAgent: null, requestId: null },
      },
    };
    return this.request(access, { feature: 'triage', recordId }, { newTicket: true });
  }

  /** Validation, constitution, risk, provenance and trust for each proposed operation. */
  private async decide(
    agentCtx: OperationContext,
    ws: WorkspaceStore,
    context: ModelContext,
    constitution: Constitution,
    settings: AiSettings,
    plan: ParsedPlan,
    feature: AiRequestBody['feature'],
  ): Promise<{ decision: OperationDecision; target: WorkspaceRecord | null }[]> {
    const schema = await ws.getSchema();
    const prepared = await Promise.all(
      plan.calls.map(async (call) => {
        const op = call.operation;
        const target = op ? await targetOf(ws, op) : null;
        const entityType = op ? targetEntityType(op, target) : null;
        return { call, op, target, entityType, rules: op ? checkRules(constitution, op, entityType) : null };
      }),
    );
    const valid = prepared.flatMap((p, index) =>
      p.op && p.rules && p.call.refusal === null
        ? [{ index, op: p.op, targetType: p.entityType, forbiddenBy: p.rules.forbiddenBy?.id ?? null }]
        : [],
    );
    const refusals = await validateOperations(this.deps.engine, agentCtx, valid, schema);
    const refusalAt = new Map(valid.map((v, i) => [v.index, refusals[i] ?? null]));

    return prepared.map(({ call, op, target, entityType, rules }, index) => {
      const refusal = call.refusal ?? refusalAt.get(index) ?? null;
      if (!op || !rules) {
        return { decision: refusedDecision(call.tool, null, refusal), target };
      }
      const entity = context.schema.entityTypes.find((e) => e.key === entityType);
      const risk = riskOf(op, entity);
      const provenance = provenanceOf(op, context, target, risk !== 'low');
      const category = categoryOf(feature, op, context.focusId);
      const base = {
        tool: call.tool,
        operation: op,
        category,
        risk,
        provenance,
        ruleIds: rules.matched.map((r) => r.id),
        fromRecordText: fromRecordText(provenance),
        proposalId: null,
        eventId: null,
      };
      if (refusal) {
        return { decision: { ...base, decision: 'refused', reasons: [], error: refusal }, target };
      }
      const reasons = holdReasons({
        op,
        category,
        risk,
        provenance,
        rules,
        confidence: plan.confidence,
        settings,
      });
      return {
        decision: {
          ...base,
          fromRecordText: base.fromRecordText || reasons.includes('fromRecordText'),
          decision: reasons.length === 0 ? 'executed' : 'proposed',
          reasons,
          error: null,
        },
        target,
      };
    });
  }

  /** Runs what may run on its own, as the agent on the person's behalf; each on its own, committed together. */
  private async executeRunnable(
    agentCtx: OperationContext,
    decisions: { decision: OperationDecision }[],
  ): Promise<void> {
    const runnable = decisions.filter((d) => d.decision.decision === 'executed');
    if (runnable.length === 0) return;
    const outcomes = await this.deps.engine.executeEach(
      agentCtx,
      runnable.map(({ decision }) => async () => [decision.operation as AiOperation]),
    );
    outcomes.forEach((outcome, i) => {
      const item = runnable[i];
      if (!item) return;
      if (outcome.ok) {
        item.decision.eventId = outcome.results[0]?.event?.id ?? null;
      } else {
        // The state moved between the check and the run (a concurrent change): refused, nothing changed.
        item.decision.decision = 'refused';
        item.decision.error = { code: outcome.error.code, message: outcome.error.message };
      }
    });
  }

  private async fileProposals(
    agentCtx: OperationContext,
    decisions: { decision: OperationDecision; target: WorkspaceRecord | null }[],
    info: {
      feature: AiRequestBody['feature'];
      request: string;
      plan: ParsedPlan;
      constitution: Constitution;
      promptLogId: string;
      settings: AiSettings;
      schema: Parameters<typeof summarise>[1];
    },
  ): Promise<void> {
    for (const { decision, target } of decisions) {
      if (decision.decision !== 'proposed' || decision.operation === null) continue;
      const proposal = buildProposal({
        decision: { ...decision, operation: decision.operation },
        feature: info.feature,
        requestedBy: { kind: 'user', id: agentCtx.principal.userId, label: agentCtx.principal.email },
        request: info.request,
        summary: summarise(decision.operation, info.schema, target),
        confidence: info.plan.confidence,
        rationale: info.plan.rationale,
        constitutionVersion: info.constitution.version,
        promptLogId: info.promptLogId,
        now: this.now(),
        ttlHours: info.settings.proposalTtlHours,
      });
      await this.deps.engine.executeInternal(agentCtx, { type: 'ai.fileProposal', proposal });
      decision.proposalId = proposal.id;
    }
  }

  /** Once a month each: an audit event, and an email to the owners and admins. */
  private async raiseUsageAlerts(access: WorkspaceAccess, settings: AiSettings, used: number): Promise<void> {
    const month = monthOf(this.now());
    for (const threshold of alertsReached(used, settings.monthlyAllowanceTokens)) {
      const result = await this.deps.engine.executeInternal(this.systemCtx(access.ctx), {
        type: 'ai.usageAlert',
        month: month.month,
        threshold,
        usedTokens: used,
        allowanceTokens: settings.monthlyAllowanceTokens,
      });
      if (result.event) void this.mailAlert(access.ws, threshold, settings);
    }
  }

  private async mailAlert(ws: WorkspaceStore, threshold: '80' | '100', settings: AiSettings): Promise<void> {
    try {
      const name = (await this.deps.store.control.getWorkspace(ws.workspaceId))?.name ?? 'your workspace';
      const admins = (await ws.listMembers()).filter((m) =>
        m.roles.some((r) => r === 'owner' || r === 'admin'),
      );
      const what =
        threshold === '100'
          ? settings.topUp
            ? 'has used all of its AI allowance this month; a top-up is allowed, so AI goes on.'
            : 'has used all of its AI allowance this month; AI is paused until next month, unless an owner or admin raises the allowance or allows a top-up.'
          : 'has used 80% of its AI allowance this month.';
      for (const admin of admins) {
        await this.deps.mailer.send({
          to: admin.email,
          subject: `Enclave: ${name} at ${threshold}% of its AI allowance`,
          text: `The workspace "${name}" ${what}\n\nUsage: ${this.deps.origin()}/console/w/${ws.workspaceId}/usage\n`,
        });
      }
    } catch (err) {
      this.deps.logger.warn({ err, workspaceId: ws.workspaceId }, 'AI usage alert email failed');
    }
  }

  private systemCtx(ctx: OperationContext): OperationContext {
    return { ...ctx, actor: SYSTEM_ACTOR, eventDetails: undefined };
  }

  async listProposals(access: WorkspaceAccess, query: ProposalQuery): Promise<ProposalPage> {
    await this.expireDue(access.ws, access.ctx);
    const everyone = can(access.perms, 'workspace.manage');
    const items: Proposal[] = [];
    let before = query.before;
    // Members see the proposals they asked for; read on until a page is full or the queue ends.
    for (let round = 0; round < 20 && items.length < query.limit; round++) {
      const batch = await access.ws.listProposals({ status: query.status, before, limit: 100 });
      for (const p of batch) {
        if (items.length < query.limit && (everyone || p.requestedBy.id === access.ctx.principal.userId))
          items.push(p);
      }
      if (batch.length < 100) break;
      before = batch.at(-1)?.id;
    }
    return { items, nextBefore: items.length === query.limit ? (items.at(-1)?.id ?? null) : null };
  }

  async getProposal(access: WorkspaceAccess, id: string): Promise<Proposal> {
    await this.expireDue(access.ws, access.ctx);
    const proposal = await access.ws.getProposal(id);
    if (!proposal || !canDecideProposal(access.perms, access.ctx.principal.userId, proposal)) {
      throw notFound('Proposal');
    }
    return proposal;
  }

  async approve(
    access: WorkspaceAccess,
    proposalId: string,
    operation: AiOperation | undefined,
  ): Promise<ProposalDecided> {
    const result = await this.deps.engine.execute(access.ctx, {
      type: 'ai.approveProposal',
      proposalId,
      ...(operation ? { operation } : {}),
    });
    const proposal = result.extra.proposal as Proposal;
    return { proposal, eventId: result.event?.id ?? null };
  }

  async reject(
    access: WorkspaceAccess,
    proposalId: string,
    reason: string,
    addRule: Constitution['rules'][number] | undefined,
  ): Promise<ProposalDecided> {
    const result = await this.deps.engine.execute(access.ctx, {
      type: 'ai.rejectProposal',
      proposalId,
      reason,
      ...(addRule ? { addRule } : {}),
    });
    return { proposal: result.extra.proposal as Proposal, eventId: result.event?.id ?? null };
  }

  async usage(access: WorkspaceAccess): Promise<UsageSummary> {
    return summariseUsage(access.ws, await readAiSettings(access.ws), this.now(), {
      userId: access.ctx.principal.userId,
      everyone: can(access.perms, 'workspace.manage'),
    });
  }

  async promptLog(access: WorkspaceAccess, query: PromptLogQuery): Promise<PromptLogPage> {
    if (!can(access.perms, 'workspace.manage'))
      throw forbidden('Only owners and admins may read the prompt log');
    const items = await access.ws.listPromptLog({ before: query.before, limit: query.limit });
    return { items, nextBefore: items.length === query.limit ? (items.at(-1)?.id ?? null) : null };
  }

  /** Marks the workspace's pending proposals that have run out of time as expired. */
  async expireDue(ws: WorkspaceStore, ctx: OperationContext): Promise<number> {
    const at = this.now().toISOString();
    const due = await ws.listExpiredProposals(at, 100);
    for (const proposal of due) {
      await this.deps.engine.executeInternal(this.systemCtx(ctx), {
        type: 'ai.expireProposal',
        proposalId: proposal.id,
        at,
      });
    }
    return due.length;
  }

  /** The hourly sweep: prompt log entries past their retention go, proposals past their time expire. */
  async sweep(): Promise<void> {
    for (const row of await this.deps.store.control.listWorkspaces()) {
      try {
        const ws = await this.deps.store.workspace(row.id);
        if (!ws) continue;
        const settings = await readAiSettings(ws);
        const cutoff = new Date(this.now().getTime() - settings.promptLogRetentionDays * 86_400_000);
        await ws.deletePromptLogBefore(cutoff.toISOString());
        await this.expireDue(ws, {
          workspaceId: row.id,
          actor: SYSTEM_ACTOR,
          principal: { userId: SYSTEM_ACTOR.id, email: '', name: SYSTEM_ACTOR.label },
          request: { ip: null, userAgent: null, requestId: null },
        });
      } catch (err) {
        if (!(err instanceof AppError))
          this.deps.logger.error({ err, workspaceId: row.id }, 'AI sweep failed');
      }
    }
  }
}

async function targetOf(ws: WorkspaceStore, op: AiOperation): Promise<WorkspaceRecord | null> {
  switch (op.type) {
    case 'record.update':
    case 'record.delete':
    case 'record.restore':
      return ws.getRecord(op.id);
    case 'record.revert': {
      const event = await ws.getAuditEvent(op.eventId);
      return event?.target.kind === 'record' && event.target.id ? ws.getRecord(event.target.id) : null;
    }
    case 'outbox.send':
      return op.recordId ? ws.getRecord(op.recordId) : null;
    case 'record.create':
      return null;
  }
}

function refusedDecision(
  tool: string,
  operation: AiOperation | null,
  refusal: OperationDecision['error'],
): OperationDecision {
  return {
    tool,
    operation,
    category: null,
    risk: 'high',
    provenance: [],
    decision: 'refused',
    reasons: [],
    ruleIds: [],
    fromRecordText: false,
    proposalId: null,
    eventId: null,
    error: refusal,
  };
}
