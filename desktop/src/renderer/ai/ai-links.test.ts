import { describe, expect, it, vi } from 'vitest';
import { desktopAiLinks, destinationOf } from './ai-links';

describe('the AI links of the desktop app', () => {
  it('leads a record link back to the record, with its type when the link knew it', () => {
    const open = vi.fn();
    const links = desktopAiLinks(open);
    const typed = links.recordHref?.('inv/0089 ü', 'invoice') ?? '';
    const untyped = links.recordHref?.('client-017') ?? '';
    expect(destinationOf(typed)).toEqual({ kind: 'record', id: 'inv/0089 ü', type: 'invoice' });
    expect(destinationOf(untyped)).toEqual({ kind: 'record', id: 'client-017', type: null });
    links.onFollow?.(typed);
    expect(open).toHaveBeenCalledWith({ kind: 'record', id: 'inv/0089 ü', type: 'invoice' });
  });

  it('leads a proposal link to the proposal, and follows nothing else', () => {
    const open = vi.fn();
    const links = desktopAiLinks(open);
    const id = '0190d1c2-0000-7000-8000-0000000000a1';
    links.onFollow?.(links.proposalHref?.(id) ?? '');
    expect(open).toHaveBeenCalledWith({ kind: 'proposal', id });
    for (const href of [
      'https://evil.example/#record/x',
      '#record/',
      '#record/a/b/c',
      '#record/%E0%A4%A',
      '#elsewhere',
    ])
      links.onFollow?.(href);
    expect(open).toHaveBeenCalledTimes(1);
    expect(links.eventHref).toBeUndefined();
  });
});
