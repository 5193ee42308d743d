export * from './constitution';
export * from './plan';
export * from './proposals';
export * from './requests';
export * from './settings';
export * from './usage';
