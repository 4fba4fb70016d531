// The web Messenger's script: src/web/messenger/main.ts with the client library, bundled for the
// browser by esbuild when the web server starts (no build step: `npm start` and `npm test` get it).
// The few Node built-ins the client library uses come from the shims beside it.
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const fromHere = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

const NODE_SHIMS: Record<string, string> = {
  'node:buffer': fromHere('./messenger/shims/buffer.ts'),
  'node:crypto': fromHere('./messenger/shims/crypto.ts'),
  'node:net': fromHere('./messenger/shims/net.ts'),
  'node:perf_hooks': fromHere('./messenger/shims/perf-hooks.ts'),
};

/** node:events is the `events` package (the same EventEmitter); the others are the shims; any other built-in fails the build. */
const nodeBuiltins: Plugin = {
  name: 'node-builtins',
  setup(on) {
    on.onResolve({ filter: /^node:/ }, async (args) => {
      if (args.path === 'node:events') return on.resolve('events', { resolveDir: args.resolveDir, kind: args.kind });
      const shim = NODE_SHIMS[args.path];
      return shim ? { path: shim } : { errors: [{ text: `${args.path} has no browser stand-in (src/web/bundle.ts)` }] };
    });
  },
};

export async function bundleMessenger(): Promise<string> {
  const result = await build({
    entryPoints: [fromHere('./messenger/main.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
    // The client library uses Buffer as a global, as in Node.
    inject: [NODE_SHIMS['node:buffer']!],
    plugins: [nodeBuiltins],
  });
  return result.outputFiles[0]!.text;
}
