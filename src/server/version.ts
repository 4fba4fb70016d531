// The package's version, read from package.json: the one source for `msnd --version`, the first
// line of `serve` and the msnd_build_info metric. The path holds from src/ and from dist/ alike.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const MSND_VERSION: string = (require('../../package.json') as { version: string }).version;
