import { Component, type ReactNode } from 'react';
import { CenteredScreen } from './Screen';

/**
 * A rendering bug must not leave a blank window: the person sees that something broke, that their
 * data is safe (everything is in the replica and on the server), and can reload the view.
 */
export class CrashBoundary extends Component<
  { children: ReactNode; /** Where the person's data is, in words: it is safe. */ reassurance: string },
  { failed: boolean }
> {
  override state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  override componentDidCatch(error: unknown): void {
    console.error('The workspace view failed', error);
  }

  override render(): ReactNode {
    if (!this.state.failed) return this.props.children;
    return (
      <CenteredScreen icon="alert" tone="danger" title="Something went wrong in this window">
        <p className="lead">{this.props.reassurance} Reload the window to carry on.</p>
        <div className="actions">
          <button type="button" className="button primary" onClick={() => window.location.reload()}>
            Reload
          </button>
        </div>
      </CenteredScreen>
    );
  }
}
