/**
 * The Node.js the production image runs (the Dockerfile's `FROM node:<version>` runtime stage),
 * for bench cases that compare it with the Node.js `npm start` runs here. Nothing is installed
 * system-wide: the official build comes from the npm registry (`node-linux-<arch>`, which holds
 * the binary and the headers), and better-sqlite3, the one native dependency the service loads,
 * is rebuilt against those headers. Everything lives under .bench-runtime/ (git-ignored):
 *
 *   .bench-runtime/node-<version>/package/bin/node   the binary
 *   .bench-runtime/node-<version>/app/               dist/ (copied), package.json, node_modules/
 *                                                    (links to ours, better-sqlite3 rebuilt)
 *
 * The first call takes ~1–2 minutes (download and compile); later calls only copy dist/.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { NodeRuntime } from './processes.ts';

const ROOT = resolve(import.meta.dirname, '..');

/** The version in the Dockerfile's runtime stage (`FROM node:24.11.1-bookworm-slim AS runtime`). */
export function productionNodeVersion(): string {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const m = /^FROM node:(\d+\.\d+\.\d+)\S* AS runtime$/m.exec(dockerfile);
  if (!m?.[1]) throw new Error('no `FROM node:<x.y.z>… AS runtime` line in Dockerfile');
  return m[1];
}

/** Prepares (once) and returns the production image's Node.js with a copy of the current dist/. */
export function productionRuntime(log: (m: string) => void = () => {}): NodeRuntime & { version: string } {
  const version = productionNodeVersion();
  const home = join(ROOT, '.bench-runtime', `node-${version}`);
  const node = join(home, 'package', 'bin', 'node');
  if (!existsSync(node)) {
    log(`fetching Node.js ${version} (node-linux-${process.arch}) from the npm registry`);
    mkdirSync(home, { recursive: true });
    const tarball = execFileSync('npm', ['pack', `node-linux-${process.arch}@${version}`, '--silent'], {
      cwd: home,
      encoding: 'utf8',
    }).trim();
    execFileSync('tar', ['xzf', tarball], { cwd: home });
    rmSync(join(home, tarball));
  }
  const app = join(home, 'app');
  const modules = join(app, 'node_modules');
  const sqlite = join(modules, 'better-sqlite3');
  if (!existsSync(join(sqlite, 'build', 'Release', 'better_sqlite3.node'))) {
    log(`building better-sqlite3 for Node.js ${version}`);
    rmSync(app, { recursive: true, force: true });
    mkdirSync(modules, { recursive: true });
    for (const name of readdirSync(join(ROOT, 'node_modules'))) {
      if (name === 'better-sqlite3') continue;
      symlinkSync(join(ROOT, 'node_modules', name), join(modules, name));
    }
    cpSync(join(ROOT, 'node_modules', 'better-sqlite3'), sqlite, { recursive: true });
    rmSync(join(sqlite, 'build'), { recursive: true, force: true });
    // The compiler's warnings are noise here; its output is shown only if the build fails.
    const build = spawnSync(
      node,
      [nodeGyp(), 'rebuild', '--release', `--nodedir=${join(home, 'package')}`, '-j', '2'],
      {
        cwd: sqlite,
        encoding: 'utf8',
        env: { ...process.env, PATH: `${dirname(node)}:${process.env.PATH ?? ''}` },
      },
    );
    if (build.status !== 0) {
      rmSync(join(sqlite, 'build'), { recursive: true, force: true });
      throw new Error(
        `better-sqlite3 did not build for Node.js ${version}:\n${`${build.stdout}${build.stderr}`.slice(-4000)}`,
      );
    }
  }
  rmSync(join(app, 'dist'), { recursive: true, force: true });
  cpSync(join(ROOT, 'dist'), join(app, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(app, 'package.json'));
  return { node, cwd: app, version };
}

/** node-gyp as npm ships it (the project does not depend on it). */
function nodeGyp(): string {
  const npmRoot = execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim();
  for (const candidate of [
    join(npmRoot, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(
      dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  ])
    if (existsSync(candidate)) return candidate;
  throw new Error("node-gyp not found in npm's own modules");
}
