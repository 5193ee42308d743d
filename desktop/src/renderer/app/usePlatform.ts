import { useEffect, useState } from 'react';
import type { AppInfo } from '@enclave/shared';
import { useServices } from './services';

/** The OS the app runs on (from main), or null until main has answered. */
export function usePlatform(): AppInfo['platform'] | null {
  const { client } = useServices();
  const [platform, setPlatform] = useState<AppInfo['platform'] | null>(null);
  useEffect(() => {
    let live = true;
    client.call('app:info', {}).then(
      (info) => {
        if (live) setPlatform(info.platform);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [client]);
  return platform;
}
