import { z } from 'zod';

// zod compiles object parsers with `new Function` unless told not to. The renderer's CSP forbids
// that, and zod decides per schema when the schema is built — that is, while `@enclave/shared` is
// first imported — so this module must be evaluated before anything that imports shared: it is
// the first import of the renderer's entry and of the preload. With it, zod never even probes for
// eval (a probe would be reported as a CSP violation).
z.config({ jitless: true });
