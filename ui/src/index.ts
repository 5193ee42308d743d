// The components and hooks the desktop renderer and the web console share: one copy of each, so
// both faces of the product look and behave alike. Plain React and browser APIs only.
export * from './activity';
export * from './ai';
export * from './ConfirmDialog';
export * from './CrashBoundary';
export * from './ErrorNote';
export * from './Icon';
export * from './Screen';
export * from './time';
export * from './useAction';
export * from './useNow';
export * from './virtual-range';
export * from './VirtualList';
export * from './records';
