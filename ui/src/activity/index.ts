// Audit events as people read them: who did what to which record or setting, and the values it
// changed, the same in the desktop's activity view and the console's audit log.
export * from './activity-diff';
export * from './ActivityEntry';
