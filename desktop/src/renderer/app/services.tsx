import { createContext, useContext } from 'react';
import type { RxStorage } from 'rxdb';
import type { BridgeClient } from '../bridge/client';

/** What the app runs on, injected at boot: the bridge to main and the replica storage. */
export interface Services {
  client: BridgeClient;
  storage: RxStorage<unknown, unknown>;
}

export const ServicesContext = createContext<Services | null>(null);

export function useServices(): Services {
  const services = useContext(ServicesContext);
  if (!services) throw new Error('useServices outside of the app');
  return services;
}
