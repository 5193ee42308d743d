// The AI's work as people see it, the same in the desktop app and the web console: an answer with
// its sources, what became of each proposed operation, where its values came from, and proposals
// to decide. Data and actions come in as props: nothing here calls a server.
export * from './AiRefusalNote';
export * from './AnswerView';
export * from './links';
export * from './OperationDecisionList';
export * from './proposal-edit';
export * from './ProposalCard';
export * from './ProposalEditor';
export * from './ProposalRejectForm';
export * from './ProvenanceTable';
export * from './words';
