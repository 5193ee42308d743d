/** Everything a paired device needs to sync; the private key and token are secrets. */
export interface DeviceCredential {
  serverUrl: string;
  workspaceId: string;
  workspaceName: string;
  deviceId: string;
  /** PKCS#8 PEM of the device's Ed25519 key (see device-keys). */
  privateKey: string;
  accessToken: string;
  /** ISO date-time. */
  accessTokenExpiresAt: string;
}

export interface CredentialStore {
  load(): Promise<DeviceCredential | null>;
  save(credential: DeviceCredential): Promise<void>;
  clear(): Promise<void>;
}

/** For tests only: a real device keeps its credential in the OS keychain. */
export class MemoryCredentialStore implements CredentialStore {
  private credential: DeviceCredential | null;

  constructor(initial: DeviceCredential | null = null) {
    this.credential = initial;
  }

  async load(): Promise<DeviceCredential | null> {
    return this.credential === null ? null : { ...this.credential };
  }

  async save(credential: DeviceCredential): Promise<void> {
    this.credential = { ...credential };
  }

  async clear(): Promise<void> {
    this.credential = null;
  }
}
