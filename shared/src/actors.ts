import { z } from 'zod';

export const ActorKind = z.enum(['user', 'device', 'agent', 'system']);
export type ActorKind = z.infer<typeof ActorKind>;

export const Actor = z.object({
  kind: ActorKind,
  id: z.string(),
  label: z.string(),
});
export type Actor = z.infer<typeof Actor>;
