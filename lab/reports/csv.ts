/** RFC 4180 CSV read into objects keyed by the header (results files; docs/results-format.md). */
import { stringify } from 'csv-stringify/sync';

export type CsvRow = Record<string, string>;

export function parseCsv(text: string): CsvRow[] {
  const records: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let i = 0;
  const endCell = () => {
    row.push(cell);
    cell = '';
  };
  const endRow = () => {
    endCell();
    // A trailing newline (or blank line) is not a record.
    if (!(row.length === 1 && row[0] === '')) records.push(row);
    row = [];
  };
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') endCell();
    else if (c === '\n') endRow();
    else if (c !== '\r') cell += c;
    i++;
  }
  if (cell !== '' || row.length) endRow();
  if (records.length === 0) return [];
  const [head, ...body] = records;
  return body.map((r) => Object.fromEntries(head.map((h, j) => [h, r[j] ?? ''])));
}

export function formatCsv(columns: readonly string[], rows: Record<string, string | number | null | undefined>[]): string {
  const clean = rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? ''])));
  return stringify(clean, { header: true, columns: [...columns] });
}

/** A CSV cell as a number; undefined when empty or not numeric. */
export function num(v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}
