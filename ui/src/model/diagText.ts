// A diagnostic in the user's language: the engine's codes are a closed set (trellis-model's
// diag.rs), so the client words each one itself, naming nodes by their label (not their id) and
// ports by their names. The engine's English message, the code and the JSON pointer stay behind
// a "details" toggle.

import type { TFunction } from 'i18next';
import { diagTarget } from './diagnostics';
import { edgesOf, journeysOf, nodesOf } from './commands';
import type { Diagnostic, JourneyNode, Workspace } from './types';

/** Every diagnostic code the engine writes (trellis-model/src/diag.rs; a test checks the list). */
export const DIAG_CODES = [
  'E_SCHEMA',
  'E_DUPLICATE_ID',
  'E_UNKNOWN_NODE_TYPE',
  'E_BAD_PARAM',
  'E_NO_TRIGGER',
  'E_TRIGGER_INPUT',
  'E_DANGLING_EDGE',
  'E_PORT_REUSED',
  'E_UNREACHABLE',
  'E_INSTANT_CYCLE',
  'E_UNKNOWN_OFFER',
  'E_PLACEMENT_WAIT',
  'W_UNCONNECTED_PORT',
  'W_BUDGET_SHORT',
  'W_NEVER_TRUE',
  'W_ALWAYS_TRUE',
  'W_DEAD_BRANCH',
  'W_UNUSED_AGGREGATE',
] as const;

/** How a node is called in a sentence: its label, else its kind and id. */
export function nodeName(t: TFunction, n: JourneyNode | undefined, id: string | undefined): string {
  if (n && typeof n.label === 'string' && n.label.trim()) return n.label.trim();
  const kind = n ? t(`nodeTypes.${n.type}`, { defaultValue: String(n.type) }) : '';
  return kind ? `${kind} ${id ?? ''}`.trim() : (id ?? '?');
}

const quoted = (message: string | undefined, word: string): string | undefined => {
  const m = message ? new RegExp(`${word} "([^"]*)"`).exec(message) : null;
  return m?.[1];
};

/** The field a pointer ends at, named for a person ("/params/offer" → offer). */
function fieldOf(path: string | undefined): string {
  if (!path) return '';
  const parts = path.split('/').filter((p) => p !== '' && !/^\d+$/.test(p));
  const last = parts[parts.length - 1] ?? '';
  return last.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** The sentence for `d`, with the document it belongs to (for names). */
export function diagText(t: TFunction, d: Diagnostic, doc: Workspace | null): string {
  const target = doc ? diagTarget(d, doc) : null;
  const journey = doc && target?.journey !== null && target?.journey !== undefined ? journeysOf(doc)[target.journey] : undefined;
  const nodes = nodesOf(journey);
  const find = (id: string | undefined) => (id === undefined ? undefined : nodes.find((n) => n.id === id));
  const nodeId = target?.node ?? d.node;
  const edge = d.edge !== undefined ? edgesOf(journey)[d.edge] : undefined;
  const port = quoted(d.message, 'port') ?? (edge ? String(edge.port) : undefined);
  const params = {
    node: nodeName(t, find(nodeId), nodeId),
    journey: journey?.name || journey?.id || d.journey || '',
    from: edge ? nodeName(t, find(String(edge.from)), String(edge.from)) : '',
    to: edge ? nodeName(t, find(String(edge.to)), String(edge.to)) : '',
    port: port ? t(`ports.${port}`, { defaultValue: port }) : '',
    offer: quoted(d.message, 'offer') ?? '',
    aggregate: quoted(d.message, 'aggregate') ?? '',
    field: fieldOf(d.path),
    type: find(nodeId)?.type ?? '',
  };
  const key = `diagText.${d.code}`;
  const text = t(key, { ...params, defaultValue: '' });
  return text || t('diagText.unknown', { code: d.code, message: d.message ?? '' });
}
