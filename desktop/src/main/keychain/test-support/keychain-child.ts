/**
 * Run as its own process by the unavailable-keychain tests (`node --import tsx keychain-child.ts`),
 * so that keytar meets whatever D-Bus environment the test gives it: libsecret connects to the
 * session bus once per process, so one test process cannot try several. It reads
 * `{ service, credential }` as JSON on stdin, tries every keychain operation the app uses with
 * the real keytar store, and prints one JSON line per operation. It prints no secret of its own:
 * what an error carries is exactly what the test looks for.
 */
import { inspect } from 'node:util';
import type { DeviceCredential } from '../../sync/credential';
import { DeviceKeychain, KeychainUnavailableError, keytarSecretStore } from '../index';

export interface ChildOutcome {
  op: 'probe' | 'save' | 'load' | 'createReplicaKey' | 'loadReplicaKey' | 'wipe';
  /** For an operation that returned: whether it returned a value or null/nothing. */
  returned?: 'value' | 'null' | 'nothing';
  error?: {
    name: string;
    unavailable: boolean;
    problem: string | null;
    message: string;
    /** Everything a log line could show of it: message, stack, cause, own properties. */
    inspected: string;
  };
}

async function main(): Promise<void> {
  let input = '';
  for await (const chunk of process.stdin) input += String(chunk);
  const { service, credential } = JSON.parse(input) as { service: string; credential: DeviceCredential };
  const keychain = new DeviceKeychain(keytarSecretStore(service));
  const ops: [ChildOutcome['op'], () => Promise<unknown>][] = [
    ['probe', () => keychain.probe()],
    ['save', () => keychain.credentials.save(credential)],
    ['load', () => keychain.credentials.load()],
    ['createReplicaKey', () => keychain.createReplicaKey()],
    ['loadReplicaKey', () => keychain.loadReplicaKey()],
    ['wipe', () => keychain.wipe()],
  ];
  for (const [op, run] of ops) {
    let outcome: ChildOutcome;
    try {
      const value = await run();
      outcome = { op, returned: value === undefined ? 'nothing' : value === null ? 'null' : 'value' };
    } catch (error) {
      outcome = {
        op,
        error: {
          name: error instanceof Error ? error.name : typeof error,
          unavailable: error instanceof KeychainUnavailableError,
          problem: error instanceof KeychainUnavailableError ? error.problem : null,
          message: error instanceof Error ? error.message : String(error),
          inspected: inspect(error, { depth: 10 }),
        },
      };
    }
    process.stdout.write(`${JSON.stringify(outcome)}\n`);
  }
}

await main();
