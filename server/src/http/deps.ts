import type { AiService } from '../ai/ai-service';
import type { AuditAnchors } from '../audit/checkpoints';
import type { AccountsService } from '../auth/accounts.service';
import type { Mailer } from '../auth/mailer';
import type { SessionService, Authenticated } from '../auth/sessions.service';
import type { Config } from '../config';
import type { DevicePresenceSource } from '../devices/device-presence';
import type { AuthenticatedDevice, DevicesService } from '../devices/devices.service';
import type { SyncHub } from '../sync/sync-hub';
import type { ChangeFeed } from '../engine/change-feed';
import type { CommandEngine } from '../engine/engine';
import type { Logger } from '../logger';
import type { Store } from '../store/types';
import type { WorkspacesService } from '../workspaces/workspaces.service';

/** Everything the HTTP layer needs, made once at start. */
export interface AppDeps {
  config: Config;
  store: Store;
  engine: CommandEngine;
  feed: ChangeFeed;
  /** Signed checkpoints of every workspace's audit chain, kept in the control database. */
  anchors: AuditAnchors;
  logger: Logger;
  mailer: Mailer;
  sessions: SessionService;
  accounts: AccountsService;
  workspaces: WorkspacesService;
  devices: DevicesService;
  /** The AI pipeline: every AI request, proposal decision and usage read goes through it. */
  ai: AiService;
  /**
   * Which devices are connected and how far they synced, as the sync hub reports it: the device
   * presenter reads it, so routes never reach into the hub.
   */
  presence: DevicePresenceSource;
  /** Live sync connections; set once the sync endpoint is attached to the HTTP server. */
  hub: SyncHub | null;
  /** The server's public origin (scheme://host:port), known once it listens. */
  origin: () => string;
}

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
    auth: Authenticated | null;
    device: AuthenticatedDevice | null;
  }
}
