/**
 * The desktop app (Electron main, preload and renderer) arrives with the desktop issue. Until
 * then this package only proves that desktop code builds against the shared contracts.
 */
export { ErrorBody } from '@enclave/shared';
