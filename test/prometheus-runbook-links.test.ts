/**
 * Every alert's runbook_url leads to a section of a markdown file in this repository: the URL is
 * the repository's GitHub blob URL of the file plus a heading anchor, the file exists, and the
 * anchor is one GitHub generates from the file's own headings. One section per alert, saying what
 * to check and what to do.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT, RULES_DIR, ruleFiles } from './helpers/dashboard-queries.ts';
import { githubSlug, markdownAnchors, sectionOf } from './helpers/markdown-anchors.ts';

/** Where this repository is published; the one place the rules' runbook links depend on. */
const REPO_BLOB_BASE = 'https://github.com/flower-shop/api/blob/main/';

interface Alert {
  alert: string;
  annotations?: Record<string, string>;
}

function alerts(): Alert[] {
  const out: Alert[] = [];
  for (const f of ruleFiles()) {
    const doc = parse(readFileSync(join(RULES_DIR, f), 'utf8')) as { groups: { rules: (Alert | object)[] }[] };
    for (const g of doc.groups) for (const r of g.rules) if ('alert' in r) out.push(r);
  }
  return out;
}

describe('GitHub heading anchors', () => {
  it('follow github-slugger: case, punctuation, spaces, code, links and repeats', () => {
    expect(githubSlug('CacheHitRatioDropped')).toBe('cachehitratiodropped');
    expect(githubSlug('Recording rules (`rules/cache-recording.yml`)')).toBe('recording-rules-rulescache-recordingyml');
    expect(githubSlug('What to do: step 1 – roll back')).toBe('what-to-do-step-1--roll-back');
    expect(githubSlug('See [the runbook](#runbook)')).toBe('see-the-runbook');
    expect(markdownAnchors('# A\n## B\n```sh\n# not a heading\n```\n### A\n## B ##\n')).toEqual([
      'a',
      'b',
      'a-1',
      'b-1',
    ]);
  });

  it('give the text of a section up to the next heading of its level', () => {
    const md = '## One\ntext 1\n### Sub\nsub text\n## Two\ntext 2\n';
    expect(sectionOf(md, 'one')).toBe('text 1\n### Sub\nsub text');
    expect(sectionOf(md, 'two')).toBe('text 2\n');
    expect(sectionOf(md, 'three')).toBeUndefined();
  });
});

describe('runbook links', () => {
  const all = alerts();

  it('there are alerts to check', () => {
    expect(all.length).toBeGreaterThanOrEqual(5);
  });

  for (const a of all) {
    it(`${a.alert}: runbook_url reaches its own section, which says what to check and what to do`, () => {
      const url = a.annotations?.runbook_url ?? '';
      expect(url.startsWith(REPO_BLOB_BASE), url).toBe(true);
      const [path = '', anchor = '', ...rest] = url.slice(REPO_BLOB_BASE.length).split('#');
      expect(rest).toEqual([]);
      const file = join(REPO_ROOT, path);
      expect(existsSync(file), `${path} is not a file of this repository`).toBe(true);
      const markdown = readFileSync(file, 'utf8');
      expect(markdownAnchors(markdown), `${path} has no heading with anchor #${anchor}`).toContain(anchor);
      // One section per alert, named after it.
      expect(anchor).toBe(githubSlug(a.alert));
      const section = sectionOf(markdown, anchor) ?? '';
      expect(section, `${a.alert}: the section must say what to check`).toMatch(/\*\*Check first:\*\*/);
      expect(section, `${a.alert}: the section must say what to do`).toMatch(/\*\*Do:\*\*/);
    });
  }
});
