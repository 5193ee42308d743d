import { EventEmitter } from 'node:events';
import type { AuditEvent, WorkspaceRecord } from '@enclave/shared';

export interface WorkspaceChange {
  workspaceId: string;
  events: AuditEvent[];
  records: WorkspaceRecord[];
}

/**
 * The in-process feed of committed changes. Published after the transaction commits, never
 * before, so a subscriber never sees a change that could still roll back.
 */
export class ChangeFeed {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  publish(change: WorkspaceChange): void {
    this.emitter.emit('change', change);
  }

  subscribe(listener: (change: WorkspaceChange) => void): () => void {
    this.emitter.on('change', listener);
    return () => this.emitter.off('change', listener);
  }
}
