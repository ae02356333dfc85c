/** Reading a generated report.html back in tests (no DOM in Node: the markup is regular enough). */
import { expect } from 'vitest';

/** Chart id → the figure's markup. */
export function figures(html: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of html.matchAll(/<figure class="chart" data-chart="([^"]+)"[^>]*>([\s\S]*?)<\/figure>/g)) out.set(m[1], m[2]);
  return out;
}

/** Drawn data marks (a mark container whose first child is a path with a d, a line or a text). */
export function dataMarks(svg: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of svg.matchAll(/class="mark-(\w+) role-mark[^"]*"[^>]*>(<path[^>]*\sd="M|<line|<text)/g)) counts[m[1]] = (counts[m[1]] ?? 0) + 1;
  return counts;
}

/** aria-labels of marks of one kind: Vega writes each datum's fields there. */
export function markLabels(svg: string, kind: string): string[] {
  const out: string[] = [];
  for (const g of svg.matchAll(new RegExp(`class="mark-${kind} role-mark[^"]*"[^>]*>([\\s\\S]*?)</g>`, 'g'))) {
    for (const l of g[1].matchAll(/aria-label="([^"]*)"/g)) out.push(l[1]);
  }
  return out;
}

/** The page loads nothing from anywhere: no scripts, stylesheets, frames or remote URLs. */
export function expectSelfContained(html: string): void {
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/<link\b/i);
  expect(html).not.toMatch(/<(iframe|img|object|embed)\b/i);
  expect(html).not.toMatch(/\b(src|href|xlink:href)\s*=\s*["']?\s*(https?:|\/\/|file:)/i);
  expect(html).not.toMatch(/url\(\s*["']?\s*(https?:|\/\/)/i);
  expect(html).not.toMatch(/@import/i);
  // Ids unique across the inline SVGs (a clip-path url(#id) must find its own chart's clip).
  const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
  expect(ids.length).toBe(new Set(ids).size);
}
