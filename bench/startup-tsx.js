// The other way to run the bin, measured against it by bench/startup.sh: the TypeScript sources
// through tsx, with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
