import { CenteredScreen } from '@enclave/ui';

export function VerifyEmailPage() {
  return (
    <CenteredScreen title="VerifyEmailPage">
      <p>Not built yet.</p>
    </CenteredScreen>
  );
}
