import { CenteredScreen } from '@enclave/ui';

export function SetupPage() {
  return (
    <CenteredScreen title="SetupPage">
      <p>Not built yet.</p>
    </CenteredScreen>
  );
}
