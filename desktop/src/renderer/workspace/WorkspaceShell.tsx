import { useCallback, useEffect, useState } from 'react';
import { ActivityView } from '../activity/ActivityView';
import { AssistantView } from '../ai/AssistantView';
import { ProposalsView } from '../ai/ProposalsView';
import { ConflictNotices } from '../conflicts/ConflictNotices';
import { RecordsView } from '../records/RecordsView';
import { SettingsView } from '../settings/SettingsView';
import { useBehavior } from '../ui/observable-hooks';
import { Sidebar, type View } from './Sidebar';
import { useWorkspace } from './workspace-context';
import { Icon } from '@enclave/ui';

/** The paired app: sidebar, the current view, and conflict notices over it. */
export function WorkspaceShell() {
  const { session, self } = useWorkspace();
  const entities = self.schema.entityTypes;
  const first = entities[0];
  const [view, setView] = useState<View>(() =>
    first ? { kind: 'records', type: first.key, focusId: null, nonce: 0 } : { kind: 'activity' },
  );
  const indicator = useBehavior(session.indicator$);
  const [assistantOpened, setAssistantOpened] = useState(false);

  // A type the schema no longer has (the schema changed on the server) falls back to the first.
  const entity = view.kind === 'records' ? entities.find((e) => e.key === view.type) : undefined;
  const shown: View =
    view.kind === 'records' && !entity
      ? first
        ? { kind: 'records', type: first.key, focusId: null, nonce: 0 }
        : { kind: 'activity' }
      : view;
  const shownEntity = shown.kind === 'records' ? entities.find((e) => e.key === shown.type) : undefined;
  if (shown.kind === 'assistant' && !assistantOpened) setAssistantOpened(true);

  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (!(event.metaKey || event.ctrlKey) || event.altKey || event.shiftKey) return;
      const digit = Number(event.key);
      const target = Number.isInteger(digit) && digit >= 1 && digit <= 9 ? entities[digit - 1] : undefined;
      if (target) {
        event.preventDefault();
        setView({ kind: 'records', type: target.key, focusId: null, nonce: 0 });
      } else if (event.key === ',') {
        event.preventDefault();
        setView({ kind: 'settings' });
      }
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [entities]);

  const openRecord = useCallback(
    (type: string, id: string) => setView({ kind: 'records', type, focusId: id, nonce: Date.now() }),
    [],
  );
  const openProposal = useCallback(
    (id: string) => setView({ kind: 'proposals', focusId: id, nonce: Date.now() }),
    [],
  );

  return (
    <div className="app-shell">
      <Sidebar
        session={session}
        workspaceName={self.workspace.name}
        entities={entities}
        view={shown}
        onNavigate={setView}
      />
      <div className="main-area">
        {indicator === 'update_required' && (
          <div className="banner warning" role="alert">
            <Icon name="alert" />
            <span>
              <strong>Enclave needs an update.</strong> The server no longer accepts this version, so nothing
              syncs until you update. Your changes are kept on this computer.
            </span>
          </div>
        )}
        {shown.kind === 'records' && shownEntity && (
          <RecordsView
            key={`${shownEntity.key}-${String(shown.nonce)}`}
            entity={shownEntity}
            focusId={shown.focusId}
            onOpenReference={openRecord}
          />
        )}
        {/* Kept once opened, so that its answers are still there after following one of their links. */}
        {(shown.kind === 'assistant' || assistantOpened) && (
          <AssistantView
            hidden={shown.kind !== 'assistant'}
            onOpenRecord={openRecord}
            onOpenProposal={openProposal}
          />
        )}
        {shown.kind === 'proposals' && (
          <ProposalsView
            key={String(shown.nonce)}
            focusId={shown.focusId}
            onOpenRecord={openRecord}
            onOpenProposal={openProposal}
          />
        )}
        {shown.kind === 'activity' && <ActivityView onOpenRecord={openRecord} />}
        {shown.kind === 'settings' && <SettingsView />}
      </div>
      <ConflictNotices onOpenRecord={openRecord} />
    </div>
  );
}
