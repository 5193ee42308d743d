import { CenteredScreen } from '@enclave/ui';

export function InvitePage() {
  return (
    <CenteredScreen title="InvitePage">
      <p>Not built yet.</p>
    </CenteredScreen>
  );
}
