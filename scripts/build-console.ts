import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

/**
 * Bundles the console page (console-ui/) into dist/console-ui/: one script, one stylesheet and
 * the HTML, served by the service as static files under a strict CSP. Run by `npm run build`.
 */
const out = 'dist/console-ui';
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: 'console-ui/src/main.ts' },
  bundle: true,
  format: 'esm',
  target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
  minify: true,
  sourcemap: 'linked',
  outdir: out,
  logLevel: 'warning',
  legalComments: 'linked',
});
for (const file of ['index.html', 'favicon.svg']) copyFileSync(`console-ui/${file}`, `${out}/${file}`);
