/**
 * The heading anchors GitHub generates for a markdown file, so a link like
 * `…/docs/operations.md#cachel2unavailable` can be checked against the file itself.
 */

/** GitHub's slug of a heading's text (github-slugger): lower case, punctuation dropped, spaces to hyphens. */
export function githubSlug(heading: string): string {
  return heading
    .trim()
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1') // a link's text, not its target
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\s-]/gu, '')
    .replace(/\s/g, '-');
}

/**
 * Every anchor of a markdown document, in order: ATX headings (`#` … `######`) outside fenced
 * code blocks; a repeated slug gets `-1`, `-2`, … as on GitHub.
 */
export function markdownAnchors(markdown: string): string[] {
  const seen = new Map<string, number>();
  const out: string[] = [];
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const f = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (f) {
      const marker = f[1]!;
      if (fence === undefined) fence = marker[0]!.repeat(marker.length);
      else if (marker.startsWith(fence)) fence = undefined;
      continue;
    }
    if (fence !== undefined) continue;
    const h = /^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+\s*)?$/.exec(line);
    if (!h) continue;
    const slug = githubSlug(h[1] ?? '');
    const n = seen.get(slug);
    out.push(n === undefined ? slug : `${slug}-${n}`);
    seen.set(slug, (n ?? 0) + 1);
  }
  return out;
}

/** The text under the heading with this anchor, up to the next heading of the same or a higher level. */
export function sectionOf(markdown: string, anchor: string): string | undefined {
  const lines = markdown.split('\n');
  const anchors = markdownAnchors(markdown);
  let index = -1;
  let level = 0;
  let start = -1;
  let fence = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s{0,3}(`{3,}|~{3,})/.test(line)) fence = !fence;
    if (fence) continue;
    const h = /^\s{0,3}(#{1,6})\s+/.exec(line);
    if (!h) continue;
    index++;
    const l = h[1]!.length;
    if (start >= 0 && l <= level) return lines.slice(start, i).join('\n');
    if (start < 0 && anchors[index] === anchor) {
      start = i + 1;
      level = l;
    }
  }
  return start >= 0 ? lines.slice(start).join('\n') : undefined;
}
