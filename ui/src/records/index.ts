// Records as the workspace schema describes them: reading, formatting and editing them, the same in
// the desktop app (over its replica) and the web console (over the HTTP API). Nothing here knows
// where records are stored: components take their data and their actions as props.
export * from './fields';
export * from './FieldInput';
export * from './form-values';
export * from './list-view';
export * from './money';
export * from './RecordDetail';
export * from './RecordForm';
export * from './ReferencePicker';
export * from './SecretValue';
