import type { AppInfo } from '@enclave/shared';
import { usePlatform } from '../app/usePlatform';
import { CenteredScreen } from '@enclave/ui';

const ADVICE: Record<AppInfo['platform'], { name: string; steps: string[] }> = {
  macos: {
    name: 'On macOS',
    steps: [
      'Enclave uses your login keychain. Open Keychain Access and check that the login keychain is unlocked.',
      'If macOS asked whether Enclave may use the keychain and it was denied, quit Enclave, open it again and choose Always Allow.',
    ],
  },
  windows: {
    name: 'On Windows',
    steps: [
      'Enclave uses Windows Credential Manager. Sign in to Windows with your own account rather than a temporary profile.',
      'If your organisation restricts Credential Manager, ask your IT team to allow it for Enclave.',
    ],
  },
  linux: {
    name: 'On Linux',
    steps: [
      'Enclave needs a Secret Service provider, such as GNOME Keyring or KWallet, running and unlocked.',
      'Install one (for example the gnome-keyring package), sign out of your desktop session and back in, then open Enclave again.',
    ],
  },
  other: {
    name: 'On this system',
    steps: ['Enclave needs the operating system’s credential store. Make sure it is running and unlocked.'],
  },
};

/**
 * No usable keychain: Enclave will not keep its keys in a file instead, so it cannot pair or open
 * a local copy. Says why, and what to do on this operating system.
 */
export function KeychainUnavailableScreen({ message }: { message: string }) {
  const platform = usePlatform();

  const platforms: AppInfo['platform'][] = platform ? [platform] : ['macos', 'windows', 'linux'];
  return (
    <CenteredScreen
      icon="key"
      tone="warning"
      title="Enclave cannot reach your system keychain"
      testId="keychain-unavailable"
    >
      <p className="lead">
        Enclave keeps its keys in your system keychain and cannot reach it right now. Without it there is
        nowhere safe to keep the key that proves this computer’s identity, so Enclave will not pair or open
        your data.
      </p>
      {platforms.map((key) => (
        <section key={key} className="advice">
          <h2>{ADVICE[key].name}</h2>
          <ul>
            {ADVICE[key].steps.map((step) => (
              <li key={step}>{step}</li>
            ))}
          </ul>
        </section>
      ))}
      <p className="muted">When the keychain is available, quit Enclave and open it again.</p>
      <details className="details">
        <summary>Technical details</summary>
        <p className="mono">{message}</p>
      </details>
    </CenteredScreen>
  );
}
