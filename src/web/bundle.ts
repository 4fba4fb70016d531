// The web Messenger's script: src/web/messenger/main.ts with the client library, bundled for the
// browser by esbuild. The compiled copy in dist/ (scripts/build.js) has it bundled at build time,
// beside this file; run from the sources, it is bundled when first asked for (no build step: `npm
// start` and `npm test` get it). The few Node built-ins the client library uses come from the shims.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';

/** The bundle that scripts/build.js writes beside the compiled copy of this file. */
export const PREBUILT_SCRIPT = new URL('./messenger/messenger.js', import.meta.url);

/** src/web/: this file's folder, or, for the compiled copy in a checkout's dist/web/, the sources beside it. */
const sources = existsSync(new URL('./messenger/main.ts', import.meta.url))
  ? new URL('./', import.meta.url)
  : new URL('../../src/web/', import.meta.url);

const fromHere = (path: string): string => fileURLToPath(new URL(path, sources));

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

let script: Promise<string> | undefined;

/** The script, bundled once per process (or read from the prebuilt bundle). */
export function messengerScript(): Promise<string> {
  script ??= existsSync(PREBUILT_SCRIPT) ? readFile(PREBUILT_SCRIPT, 'utf8') : bundleMessenger();
  return script;
}

export async function bundleMessenger(): Promise<string> {
  const { build } = await import('esbuild');
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
