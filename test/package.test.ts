// `npm pack` makes a package that works elsewhere: packed, installed from the tarball into an empty
// directory (its dependencies from the registry, as an operator's `npm install` gets them), then
// `msnd --version`, `msnd user add` and `msnd serve` with a real sign-in, all run from there.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MsnClient } from '../src/client/client.ts';
import type { LoginError } from '../src/client/errors.ts';
import { BIN, serve } from './helpers/cli.ts';

const root = join(import.meta.dirname, '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

interface Packed {
  filename: string;
  files: { path: string }[];
}

function npm(args: string[], cwd: string): string {
  const result = spawnSync('npm', args, { cwd, encoding: 'utf8' });
  assert.equal(result.status, 0, `npm ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

test('the packed package installs into an empty directory and serves a sign-in from there', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'msnd-pack-'));
  try {
    // The bin brings dist/ up to date with the sources; the pack then takes it as it is.
    execFileSync(process.execPath, [BIN, '--version']);
    const [packed] = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], root)) as Packed[];
    const files = packed!.files.map((file) => file.path);
    for (const needed of ['package.json', 'README.md', 'bin/msnd.js', 'dist/cli/main.js', 'dist/server/version.js', 'msnd.example.toml'])
      assert.ok(files.includes(needed), `the package holds ${needed}`);
    const strays = files.filter((path) => /^(src|test|bench|scripts|\.ci|\.tmp|node_modules|data)\//.test(path) || path.endsWith('.ts'));
    assert.deepEqual(strays, [], 'no sources, tests or tooling in the package');

    // better-sqlite3 at the checkout's version, with the checkout's build of its addon: building
    // it (a download, or a compile of a minute or two) is what npm does anywhere, not msnd's part.
    const sqlite = join(root, 'node_modules', 'better-sqlite3');
    const sqliteVersion = (JSON.parse(readFileSync(join(sqlite, 'package.json'), 'utf8')) as { version: string }).version;
    const app = join(dir, 'app');
    await mkdir(app);
    const install = ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock'];
    npm([...install, join(dir, packed!.filename), `better-sqlite3@${sqliteVersion}`], app);
    const installed = join(app, 'node_modules', 'better-sqlite3', 'build', 'Release');
    await mkdir(installed, { recursive: true });
    copyFileSync(join(sqlite, 'build', 'Release', 'better_sqlite3.node'), join(installed, 'better_sqlite3.node'));
    assert.equal(existsSync(join(app, 'node_modules', 'tsx')), false, 'the installed msnd runs without tsx');

    const bin = join(app, 'node_modules', '.bin', 'msnd');
    assert.equal(execFileSync(bin, ['--version'], { cwd: app, encoding: 'utf8' }), `${version}\n`);
    const data = join(dir, 'data');
    execFileSync(bin, ['user', 'add', 'packed@example.com', '--password', 'packed-pass', '--data', data, '--init'], { cwd: app });
    const served = await serve(data, [], join(app, 'node_modules', 'msnd', 'bin', 'msnd.js'));
    try {
      assert.equal(served.stderr().split('\n')[0], `msnd ${version} on Node ${process.version}`);
      const login = { host: '127.0.0.1', port: served.ports.ds, handle: 'packed@example.com' };
      await assert.rejects(MsnClient.login({ ...login, password: 'wrong-pass' }), (error: LoginError) => error.code === 911);
      const client = await MsnClient.login({ ...login, password: 'packed-pass' });
      assert.equal((await client.sync(0)).upToDate, false, 'a first SYN gets the lists');
      client.conn.close();
    } finally {
      served.child.kill('SIGTERM');
      assert.equal(await served.exit, 0);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
