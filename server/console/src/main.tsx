import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@enclave/ui/styles.css';
import './console.css';
import { App } from './App';
import { RouterProvider } from './app/router';
import { SessionProvider } from './app/session';

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <RouterProvider>
        <SessionProvider>
          <App />
        </SessionProvider>
      </RouterProvider>
    </StrictMode>,
  );
}
