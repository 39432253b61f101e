/**
 * Loaded with `node --import` before the service, so tracing is in place before any module
 * that it instruments is used.
 */
import { startTracing, type TracingHandle, tracingRequested } from './tracing-setup.ts';

declare global {
  var __flowerShopTracing: TracingHandle | undefined;
}

if (tracingRequested()) {
  globalThis.__flowerShopTracing = startTracing();
}
