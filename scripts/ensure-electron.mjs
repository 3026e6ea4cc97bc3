#!/usr/bin/env node
// Before `npm start`: make sure the two things the desktop app needs beyond `npm install` exist.
// 1. Electron's binary. package.json's allowScripts holds back electron's postinstall, whose download
//    from GitHub fails offline and would fail the whole install; we run electron's own installer here.
// 2. better-sqlite3 built for Electron's ABI. node_modules keeps the Node build (CLI, serve mode, tests);
//    the Electron build goes to .cache/electron-native/<electron version>/ and is loaded by path.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const electronDir = dirname(require.resolve('electron/package.json'));
const electronVersion = JSON.parse(readFileSync(join(electronDir, 'package.json'), 'utf8')).version;

function fail(lines) {
  process.stderr.write(`\n${lines.join('\n')}\n\n`);
  process.exit(1);
}

function electronBinaryPresent() {
  try {
    const pathTxt = join(electronDir, 'path.txt');
    return existsSync(pathTxt) && existsSync(join(electronDir, 'dist', readFileSync(pathTxt, 'utf8').trim()));
  } catch {
    return false;
  }
}

if (!electronBinaryPresent()) {
  process.stdout.write(`Fetching the Electron ${electronVersion} binary with electron's own installer…\n`);
  try {
    execFileSync(process.execPath, [join(electronDir, 'install.js')], { stdio: 'inherit', env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '' } });
  } catch {
    /* reported below */
  }
  if (!electronBinaryPresent()) {
    fail([
      `featurescope: could not download the Electron ${electronVersion} binary (it comes from GitHub releases).`,
      'Offline or behind a proxy? Either set ELECTRON_MIRROR / a proxy and run `npm start` again,',
      'or use the same workbench in your browser: `npm run serve` and open the printed address.',
    ]);
  }
}

const nativeDir = join(root, '.cache', 'electron-native', electronVersion);
const nativeBinding = join(nativeDir, 'better_sqlite3.node');
if (!existsSync(nativeBinding)) {
  process.stdout.write(`Building better-sqlite3 for Electron ${electronVersion}'s ABI…\n`);
  const source = dirname(require.resolve('better-sqlite3/package.json'));
  const work = join(nativeDir, 'better-sqlite3');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  for (const entry of ['package.json', 'binding.gyp', 'src', 'deps']) cpSync(join(source, entry), join(work, entry), { recursive: true });
  const built = join(work, 'build', 'Release', 'better_sqlite3.node');
  const env = { ...process.env, npm_config_runtime: 'electron', npm_config_target: electronVersion, npm_config_disturl: 'https://electronjs.org/headers' };
  const attempts = [
    // A prebuilt binary for this Electron, if one is published…
    () => [require.resolve('prebuild-install/bin.js'), '--runtime', 'electron', '--target', electronVersion, '--arch', process.arch],
    // …else compile against Electron's headers with npm's own node-gyp (npm_execpath is set under `npm start`).
    () => [join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'), 'rebuild', '--release', `--target=${electronVersion}`, '--runtime=electron', '--dist-url=https://electronjs.org/headers'],
  ];
  for (const args of attempts) {
    if (existsSync(built)) break;
    try {
      execFileSync(process.execPath, args(), { cwd: work, stdio: 'inherit', env });
    } catch {
      /* try the next way */
    }
  }
  if (!existsSync(built)) {
    fail([
      `featurescope: could not build better-sqlite3 for Electron ${electronVersion}.`,
      'It needs either a prebuilt binary (GitHub) or Electron headers and a C++ toolchain (python3, make, g++).',
      'The browser workbench does not need it: `npm run serve`.',
    ]);
  }
  cpSync(built, nativeBinding);
}
process.stdout.write(`Electron ${electronVersion} ready.\n`);
