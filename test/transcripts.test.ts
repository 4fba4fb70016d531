import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { TestMsnd } from './helpers/msnd.ts';
import { replayTranscript, transcriptConfig } from './helpers/transcript.ts';

// Each transcript replays sessions.md over TCP against a fresh server (DESIGN.md "Tests as the spec").
const folder = join(import.meta.dirname, 'transcripts');
for (const file of readdirSync(folder)
  .filter((f) => f.endsWith('.txt'))
  .sort()) {
  test(`transcript ${file}`, async () => {
    const server = await TestMsnd.start(await transcriptConfig(join(folder, file)));
    try {
      await replayTranscript(server, join(folder, file));
    } finally {
      await server.stop();
    }
  });
}
