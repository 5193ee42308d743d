import { AiSettings, DEFAULT_AI_SETTINGS } from '@enclave/shared';
import type { WorkspaceStore } from '../store/types';

export const SETTINGS_META_KEY = 'ai.settings';

export async function readAiSettings(ws: Pick<WorkspaceStore, 'getMeta'>): Promise<AiSettings> {
  const stored = await ws.getMeta(SETTINGS_META_KEY);
  return stored === null ? DEFAULT_AI_SETTINGS : AiSettings.parse(JSON.parse(stored));
}
