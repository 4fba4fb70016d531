// The configuration file (config-file.ts), the example file (config-example.ts, msnd.example.toml)
// and the live settings swapped on reload (live-settings.ts), tested directly.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse as parseToml } from 'smol-toml';
import { parseServerConfig } from '../../src/server/config.ts';
import { exampleToml, SETTING_DOCS } from '../../src/server/config-example.ts';
import { keysAt, loadSettings, maskSecrets, SettingsError, settingsToToml } from '../../src/server/config-file.ts';
import { changedPaths, LiveSettings, RESTART_SETTINGS } from '../../src/server/live-settings.ts';

const dir = mkdtempSync(join(tmpdir(), 'msnd-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function file(text: string): string {
  files += 1;
  const path = join(dir, `msnd-${files}.toml`);
  writeFileSync(path, text);
  return path;
}

/** The SettingsError message of loading these sources. */
function problem(sources: Parameters<typeof loadSettings>[0]): string {
  try {
    loadSettings(sources);
  } catch (error) {
    assert.ok(error instanceof SettingsError, `not a SettingsError: ${error}`);
    return error.message;
  }
  assert.fail('the settings were accepted');
}

describe('configuration file', () => {
  test('without a file or overrides: the schema defaults', () => {
    assert.deepEqual(loadSettings({}), parseServerConfig({}));
  });

  test('the file beats the defaults, an override (flag or variable) beats the file, key by key', () => {
    const path = file(
      ['host = "0.0.0.0"', 'maxSessions = 10', 'dialects = ["MSNP5"]', '[limits]', 'maxLineBytes = 4096', 'pages = 3', ''].join('\n'),
    );
    const settings = loadSettings({
      file: path,
      overrides: [
        { path: ['maxSessions'], value: 20, source: '--max-sessions' },
        { path: ['limits', 'pages'], value: 7, source: 'MSND_X' },
      ],
    });
    assert.equal(settings.host, '0.0.0.0');
    assert.equal(settings.maxSessions, 20);
    assert.deepEqual(settings.dialects, ['MSNP5']);
    assert.equal(settings.limits.maxLineBytes, 4096);
    assert.equal(settings.limits.pages, 7);
    // Untouched keys of a table the file holds keep their defaults.
    assert.equal(settings.limits.forwardList, 150);
    assert.equal(settings.dsPort, 1863);
  });

  test('every setting can come from the file: the one schema holds the flags’ settings too', () => {
    const path = file(
      [
        'dataDir = "/srv/msnd"',
        'store = "postgres://msnd@db/msnd"',
        'bus = "redis://127.0.0.1:6379"',
        'busPrefix = "chat:"',
        'logLevel = "warn"',
        '[clientVersions]',
        'recommended = "4.7.3001"',
        '[challengeKeys]',
        '"PROD0099XY" = "KEY"',
        '[limits]',
        'nodeHeartbeatMs = 1000',
        'nodeExpiryMs = 2000',
        '',
      ].join('\n'),
    );
    const settings = loadSettings({ file: path });
    assert.equal(settings.dataDir, '/srv/msnd');
    assert.equal(settings.store, 'postgres://msnd@db/msnd');
    assert.equal(settings.bus, 'redis://127.0.0.1:6379');
    assert.equal(settings.busPrefix, 'chat:');
    assert.equal(settings.logLevel, 'warn');
    assert.equal(settings.clientVersions.recommended, '4.7.3001');
    assert.deepEqual(settings.challengeKeys, { PROD0099XY: 'KEY' });
    assert.equal(settings.limits.nodeExpiryMs, 2000);
  });

  test('an unknown key is refused, naming the file, the key path, a likely meaning and what is allowed', () => {
    const path = file('hots = "x"\n[limits]\nmaxLineByte = 4096\n[clientVersions]\nlatest = "1"\n');
    const message = problem({ file: path });
    assert.match(message, /^invalid settings:\n/);
    assert.ok(message.includes(`${path}: hots: unknown setting; did you mean host?`), message);
    assert.ok(message.includes(`${path}: limits.maxLineByte: unknown setting; did you mean limits.maxLineBytes?`), message);
    assert.match(message, /allowed in \[limits\]: maxLineBytes, unauthenticatedMs/);
    assert.ok(
      message.includes(`${path}: clientVersions.latest: unknown setting; allowed in [clientVersions]: recommended, minimum`),
      message,
    );
  });

  test('a bad value is refused, naming the file, the key path and what is allowed', () => {
    const path = file('logLevel = "loud"\ndsPort = 70000\ndialects = ["MSNP9"]\n[limits]\nmaxLineBytes = 10\nforwardList = "many"\n');
    const message = problem({ file: path });
    assert.ok(
      message.includes(`${path}: logLevel: Invalid option: expected one of "fatal"|"error"|"warn"|"info"|"debug"|"trace"|"silent"`),
      message,
    );
    assert.ok(message.includes(`${path}: dsPort: Too big: expected number to be <=65535`), message);
    assert.ok(message.includes(`${path}: dialects.0: Invalid option`), message);
    assert.ok(message.includes(`${path}: limits.maxLineBytes: Too small: expected number to be >=64`), message);
    assert.ok(message.includes(`${path}: limits.forwardList: Invalid input: expected number, received string`), message);
  });

  test('trustProxy takes addresses, address/prefix ranges and range names; anything else is refused by name', () => {
    const good = ['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', 'loopback', 'uniquelocal'];
    assert.deepEqual(parseServerConfig({ trustProxy: good }).trustProxy, good);
    assert.deepEqual(parseServerConfig({}).trustProxy, [], 'no proxy is trusted unless named');
    for (const bad of ['10.0.0.0/33', '::1/129', 'proxy.example.com', '1.2.3.4/8/1', '10.0.0.0/', '']) {
      const message = problem({ overrides: [{ path: ['trustProxy'], value: ['127.0.0.1', bad], source: '--trust-proxy' }] });
      assert.ok(message.includes(`trustProxy.1: ${JSON.stringify(bad)} is not an IP address`), message);
      assert.ok(message.endsWith('(from --trust-proxy)'), message);
    }
  });

  test('a bad value from a flag or variable names that source, not the file', () => {
    const path = file('maxSessions = 5\n');
    const message = problem({ file: path, overrides: [{ path: ['logLevel'], value: 'loud', source: '--log-level' }] });
    assert.match(message, /^invalid settings:\n {2}logLevel: Invalid option: expected one of .* \(from --log-level\)$/);
    assert.ok(!message.includes(path), message);
  });

  test('a table given as a value, a file that is not TOML, a missing file: refused with the file name', () => {
    const table = file('limits = 5\n');
    assert.ok(problem({ file: table }).includes(`${table}: limits: Invalid input: expected object`));
    const broken = file('host = "unterminated\n');
    assert.match(problem({ file: broken }), new RegExp(`^${broken.replaceAll('.', '\\.')} is not valid TOML: `));
    const missing = join(dir, 'nowhere.toml');
    assert.match(problem({ file: missing }), new RegExp(`^cannot read the configuration file ${missing.replaceAll('.', '\\.')}: ENOENT`));
  });

  test('secrets are hidden in what is printed: admin token, URL passwords, challenge keys', () => {
    const settings = parseServerConfig({
      adminToken: 'a-very-secret-admin-token',
      smtp: 'smtp://mailer:hunter2@mail.example.com:587',
      store: 'postgres://msnd:pgsecret@db.example.com/msnd',
      bus: 'redis://:redissecret@127.0.0.1:6379',
      challengeKeys: { PROD0099XY: 'CHALLENGESECRET' },
    });
    const text = settingsToToml(settings);
    for (const secret of ['a-very-secret-admin-token', 'hunter2', 'pgsecret', 'redissecret', 'CHALLENGESECRET']) {
      assert.ok(!text.includes(secret), `${secret} shown:\n${text}`);
    }
    assert.match(text, /smtp = "smtp:\/\/mailer:\*{8}@mail\.example\.com:587"/);
    assert.match(text, /"?PROD0099XY"? = "\*{8}"/);
    // What is printed is still a file msnd reads (the secrets aside).
    const reread = parseToml(text) as Record<string, unknown>;
    assert.equal((reread.limits as Record<string, unknown>).maxLineBytes, 2048);
    assert.equal(maskSecrets(parseServerConfig({})).adminToken, undefined);
  });
});

describe('msnd.example.toml', () => {
  const shipped = readFileSync(join(import.meta.dirname, '..', '..', 'msnd.example.toml'), 'utf8');

  test('is current: `msnd config example` prints exactly the shipped file', () => {
    assert.equal(shipped, exampleToml(), 'regenerate it: node bin/msnd.js config example > msnd.example.toml');
  });

  test('parses, as it is and with every setting uncommented, and both equal the defaults', () => {
    assert.deepEqual(parseServerConfig(parseToml(shipped) as never), parseServerConfig({}));
    const uncommented = shipped.replace(/^#(?=[A-Za-z"])/gm, '');
    assert.notEqual(uncommented, shipped);
    const values = parseToml(uncommented) as Record<string, Record<string, unknown>>;
    assert.equal(values.limits!.maxLineBytes, 2048, 'the limits are in the file');
    assert.deepEqual(parseServerConfig(values as never), parseServerConfig({}));
  });

  test('holds and describes every setting of the schema', () => {
    const paths = keysAt([]).flatMap((key) => [key, ...keysAt([key]).map((inner) => `${key}.${inner}`)]);
    for (const path of paths) {
      assert.ok(SETTING_DOCS[path], `no description of ${path} in config-example.ts`);
      const key = path.split('.').pop()!;
      assert.match(shipped, new RegExp(`^(#${key} = |# ${key}: unset by default|\\[${key}\\])`, 'm'), `${path} is not in the file`);
    }
    assert.deepEqual(
      Object.keys(SETTING_DOCS).filter((path) => !paths.includes(path)),
      [],
      'descriptions of settings that do not exist',
    );
    for (const path of RESTART_SETTINGS) assert.ok(paths.includes(path), `restart setting ${path} does not exist`);
  });
});

describe('live settings', () => {
  test('apply swaps the settings the view reads, keeps restart-only ones, and says which is which', () => {
    const live = new LiveSettings(parseServerConfig({ dsPort: 1000, dialects: ['MSNP7', 'MSNP5'] }));
    const view = live.view;
    const limitsBefore = view.limits;
    const outcome = live.apply(
      parseServerConfig({
        dsPort: 2000,
        smtp: 'smtp://mail.example.com:25',
        dialects: ['MSNP5'],
        reservedNames: ['msnd'],
        logLevel: 'debug',
        limits: { maxLineBytes: 4096, nodeHeartbeatMs: 1000, nodeExpiryMs: 2000 },
      }),
    );
    assert.deepEqual(outcome.applied.sort(), ['dialects', 'limits.maxLineBytes', 'logLevel', 'reservedNames']);
    assert.deepEqual(outcome.ignored.sort(), ['dsPort', 'limits.nodeExpiryMs', 'limits.nodeHeartbeatMs', 'smtp']);
    assert.deepEqual(view.dialects, ['MSNP5']);
    assert.equal(view.limits.maxLineBytes, 4096);
    assert.equal(view.dsPort, 1000);
    assert.equal(view.smtp, undefined);
    assert.equal(view.limits.nodeHeartbeatMs, 5000);
    assert.equal(view.logLevel, 'debug');
    // One swap of the whole: what was read before is not changed under its reader.
    assert.equal(limitsBefore.maxLineBytes, 2048);
    assert.deepEqual({ ...view }, live.current);
  });

  test('settings that are not valid change nothing', () => {
    const live = new LiveSettings(parseServerConfig({}));
    const before = live.current;
    const bad = { ...parseServerConfig({}), limits: { ...parseServerConfig({}).limits, maxLineBytes: 1 } };
    assert.throws(() => live.apply(bad), /limits\.maxLineBytes/);
    assert.equal(live.current, before);
  });

  test('changedPaths names leaves; arrays and challenge keys as a whole', () => {
    assert.deepEqual(changedPaths({ a: 1, b: { c: [1], d: 2 } }, { a: 1, b: { c: [2], d: 2 } }), ['b.c']);
    assert.deepEqual(changedPaths({ challengeKeys: { x: '1' } }, { challengeKeys: { x: '2' } }), ['challengeKeys']);
  });
});
