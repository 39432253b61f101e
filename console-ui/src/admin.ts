import { getAdmin, HttpError, hasAdminToken, postAdmin } from './api.ts';
import { byId, el, formatBytes, formatNumber } from './dom.ts';

interface HotKeysBody {
  sampling: number;
  prefixes: {
    prefix: string;
    sampledLookups: number;
    keys: { key: string; estimatedLookups: number; error: number }[];
  }[];
}

interface Inspection {
  key: string;
  prefix: string;
  l1: { present: boolean; freshForMs?: number; staleForMs?: number; bytes?: number; current?: boolean };
  l2: {
    present?: boolean;
    ttlMs?: number;
    bytes?: number;
    slot?: number;
    node?: string;
    error?: string;
    disabled?: true;
  };
}

function ms(v: number | undefined): string {
  if (v === undefined) return '–';
  return Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${v} ms`;
}

/** Hot keys, the inspector and invalidation: everything that shows or changes keys needs the admin token. */
export class AdminPanel {
  private readonly hotKeys = byId<HTMLDivElement>('hot-keys');
  private readonly note = byId<HTMLElement>('hot-keys-note');
  private readonly keyInput = byId<HTMLInputElement>('inspect-key');
  private readonly inspectResult = byId<HTMLDivElement>('inspect-result');
  private readonly kind = byId<HTMLSelectElement>('invalidate-kind');
  private readonly target = byId<HTMLInputElement>('invalidate-target');
  private readonly invalidateResult = byId<HTMLElement>('invalidate-result');

  constructor() {
    byId('inspect').addEventListener('click', () => void this.inspect());
    this.keyInput.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') void this.inspect();
    });
    byId('invalidate').addEventListener('click', () => void this.invalidate());
  }

  async refreshHotKeys(): Promise<void> {
    if (!hasAdminToken()) {
      this.note.textContent = 'admin token needed';
      this.hotKeys.replaceChildren();
      return;
    }
    try {
      const body = await getAdmin<HotKeysBody>('/admin/cache/hot-keys?limit=8');
      this.note.textContent = `estimated from 1 in ${body.sampling} lookups`;
      this.hotKeys.replaceChildren(
        ...body.prefixes
          .filter((p) => p.keys.length > 0)
          .map((p) =>
            el(
              'table',
              { 'data-prefix': p.prefix },
              el('caption', {}, `${p.prefix} · ~${formatNumber(p.sampledLookups)} lookups`),
              el(
                'tbody',
                {},
                ...p.keys.map((k) => {
                  const link = el('button', { type: 'button', class: 'link mono', title: 'Inspect this key' }, k.key);
                  link.addEventListener('click', () => {
                    this.keyInput.value = k.key;
                    this.target.value = k.key;
                    this.kind.value = 'key';
                    void this.inspect();
                  });
                  return el(
                    'tr',
                    { 'data-key': k.key },
                    el('td', {}, link),
                    el('td', { class: 'num' }, `~${formatNumber(k.estimatedLookups)}`),
                  );
                }),
              ),
            ),
          ),
      );
    } catch (error) {
      this.note.textContent = error instanceof HttpError ? `refused (${error.status})` : 'unavailable';
      this.hotKeys.replaceChildren();
    }
  }

  async inspect(): Promise<void> {
    const key = this.keyInput.value.trim();
    if (!key) return;
    try {
      const r = await getAdmin<Inspection>(`/admin/cache/inspect?key=${encodeURIComponent(key)}`);
      const l1 = r.l1.present
        ? `present · fresh for ${ms(r.l1.freshForMs)} · stale until ${ms(r.l1.staleForMs)} · ${formatBytes(r.l1.bytes)}${r.l1.current === false ? ' · outdated tag' : ''}`
        : 'absent';
      const l2 = r.l2.disabled
        ? 'disabled'
        : `${r.l2.present ? `present · TTL ${ms(r.l2.ttlMs)} · ${formatBytes(r.l2.bytes)}` : 'absent'}${r.l2.slot !== undefined ? ` · slot ${r.l2.slot}` : ''}${r.l2.node ? ` · node ${r.l2.node}` : ''}${r.l2.error ? ` · error: ${r.l2.error}` : ''}`;
      this.inspectResult.replaceChildren(
        el(
          'dl',
          {},
          el('dt', {}, 'key'),
          el('dd', { class: 'mono' }, r.key),
          el('dt', {}, 'L1'),
          el('dd', { 'data-tier': 'l1', 'data-present': String(r.l1.present) }, l1),
          el('dt', {}, 'L2'),
          el('dd', { 'data-tier': 'l2', 'data-present': String(r.l2.present === true) }, l2),
        ),
      );
    } catch (error) {
      this.inspectResult.replaceChildren(
        el('p', { class: 'error', 'data-error': 'inspect' }, String((error as Error).message)),
      );
    }
  }

  async invalidate(): Promise<void> {
    const target = this.target.value.trim();
    if (!target) return;
    const kind = this.kind.value;
    let body: unknown;
    if (kind === 'key') {
      const [prefix, ...parts] = target.split(':');
      body = { keys: [{ prefix, parts: parts.map((p) => decodeURIComponent(p)) }] };
    } else if (kind === 'prefix') body = { prefixes: [target] };
    else body = { tags: [target] };
    try {
      await postAdmin('/admin/cache/invalidate', body);
      this.invalidateResult.className = 'result ok';
      this.invalidateResult.textContent = `invalidated ${kind} ${target} on every instance`;
      if (kind === 'key' && this.keyInput.value.trim() === target) void this.inspect();
    } catch (error) {
      this.invalidateResult.className = 'result error';
      this.invalidateResult.textContent = `refused: ${(error as Error).message}`;
    }
  }
}
