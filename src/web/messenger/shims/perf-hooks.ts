// node:perf_hooks in the browser bundle: the browser's own clock.
export const performance = globalThis.performance;
