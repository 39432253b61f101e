// Preloaded (--require) into a server sampling nothing: turns AsyncLocalStorage's async hook on
// for the whole process, as the first sampled request's context.with does on Node 20, so the
// hook's cost on every request is measured apart from the sampled requests' own (bench/tracing-breakdown.ts).
const { AsyncLocalStorage } = require('node:async_hooks');

new AsyncLocalStorage().run({}, () => {});
