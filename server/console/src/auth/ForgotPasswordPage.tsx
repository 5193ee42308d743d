import { CenteredScreen } from '@enclave/ui';

export function ForgotPasswordPage() {
  return (
    <CenteredScreen title="ForgotPasswordPage">
      <p>Not built yet.</p>
    </CenteredScreen>
  );
}
