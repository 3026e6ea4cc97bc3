// A CommonJS `require` for loading packages at run time (optional native backends, files inside
// tfjs-backend-wasm). Built as CommonJS (electron-vite's engine bundle, tsx) `__filename` exists;
// as an ES module (vitest) it does not and import.meta.url does. Either anchors node_modules lookup.
import { createRequire } from 'node:module';

export const packageRequire = createRequire(typeof __filename === 'string' ? __filename : import.meta.url);
