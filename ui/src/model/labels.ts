// A node's label quotes numbers ("购物车≥100元", "等待1天"); when the parameters change and the
// label's number no longer occurs in them, the form offers the label with the new number.

import { isObject } from './nodeTypes';

const NUMBER = /\d+(?:\.\d+)?/g;
const DURATION = /^(\d+)[smhd]$/;

function paramNumbers(v: unknown, out: Set<string>): Set<string> {
  if (typeof v === 'number' && Number.isFinite(v)) out.add(String(v));
  else if (typeof v === 'string') {
    const d = DURATION.exec(v);
    if (d) out.add(String(Number(d[1])));
    else if (/^-?\d+(\.\d+)?$/.test(v)) out.add(String(Number(v)));
  } else if (Array.isArray(v)) for (const x of v) paramNumbers(x, out);
  else if (isObject(v)) for (const x of Object.values(v)) paramNumbers(x, out);
  return out;
}

/**
 * The label with its one stale number replaced by the parameters' one new number, or null when
 * the label is in step (or it is not clear which number became which).
 */
export function labelSuggestion(label: unknown, params: unknown): { stale: string; fresh: string; label: string } | null {
  if (typeof label !== 'string' || !label) return null;
  const inLabel = (label.match(NUMBER) ?? []).map((n) => String(Number(n)));
  if (inLabel.length === 0) return null;
  const inParams = paramNumbers(params, new Set());
  const stale = [...new Set(inLabel.filter((n) => !inParams.has(n)))];
  const fresh = [...inParams].filter((n) => !inLabel.includes(n));
  if (stale.length !== 1 || fresh.length !== 1) return null;
  const [s, f] = [stale[0] as string, fresh[0] as string];
  // Replace the number as written ("100" or "100.0"), once.
  const written = (label.match(NUMBER) ?? []).find((n) => String(Number(n)) === s) ?? s;
  return { stale: written, fresh: f, label: label.replace(written, f) };
}
