import { bootstrap } from './bootstrap';

// The preload defines `window.enclave` before any page script runs. Without it this page was
// opened outside the app (or a harness forgot it): say so instead of failing obscurely.
if ('enclave' in window) {
  bootstrap({ bridge: window.enclave });
} else {
  const root = document.getElementById('root');
  if (root) {
    root.className = 'no-bridge';
    root.textContent = 'This page is part of the Enclave desktop app and only works inside it.';
  }
}
