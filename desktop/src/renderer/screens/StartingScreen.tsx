import { Spinner } from '@enclave/ui';

/** While main opens the keychain and the replica: nothing to read, so nearly nothing to see. */
export function StartingScreen() {
  return (
    <main className="splash" aria-busy="true">
      <div className="splash-mark" aria-hidden="true">
        E
      </div>
      <Spinner label="Starting Enclave" />
    </main>
  );
}
