import type { EnclaveBridge } from '../common/bridge';

declare global {
  interface Window {
    /**
     * The preload's bridge to main (desktop/src/preload/bridge.ts), the renderer's only way out.
     * Always set inside the app; a plain browser page without it is told so instead of booting.
     */
    readonly enclave: EnclaveBridge;
  }
}

export {};
