import { CenteredScreen } from '@enclave/ui';

export function SignUpPage() {
  return (
    <CenteredScreen title="SignUpPage">
      <p>Not built yet.</p>
    </CenteredScreen>
  );
}
