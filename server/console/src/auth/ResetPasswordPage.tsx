import { CenteredScreen } from '@enclave/ui';

export function ResetPasswordPage() {
  return (
    <CenteredScreen title="ResetPasswordPage">
      <p>Not built yet.</p>
    </CenteredScreen>
  );
}
