import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface StaticAsset {
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  map: 'application/json; charset=utf-8',
  svg: 'image/svg+xml',
};

/**
 * The page's bundle, as `npm run build` writes it to dist/console-ui/ (scripts/build-console.ts).
 * Found next to the compiled service, or from the sources (tests run src/ through tsx) in dist/.
 */
export function consoleAssetDirectory(): string | undefined {
  for (const candidate of ['../console-ui/', '../../dist/console-ui/']) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(`${dir}index.html`)) return dir;
  }
  return undefined;
}

/** Every file of the bundle, read once: a fixed set of names, so a request can never name another file. */
export function loadConsoleAssets(dir: string | undefined): Map<string, StaticAsset> {
  const assets = new Map<string, StaticAsset>();
  if (!dir) return assets;
  for (const name of readdirSync(dir)) {
    const type = TYPES[name.slice(name.lastIndexOf('.') + 1)];
    if (!type) continue;
    const body = new Uint8Array(readFileSync(`${dir}${name}`));
    assets.set(name, {
      body,
      contentType: type,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    });
  }
  return assets;
}
