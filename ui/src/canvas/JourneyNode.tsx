// The node kinds of the canvas: one memoised component draws every journey node type (header,
// title, a one-line summary of its params, an input handle unless it is a trigger, and one
// output handle per port), with overlays for diagnostics, simulation counts and review diffs.

import { memo } from 'react';
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { useTranslation } from 'react-i18next';
import { diagText } from '../model/diagText';
import { channelText, durationText } from '../model/vocab';
import type { TFunction } from 'i18next';
import { conditionSentence } from '../model/sentence';
import { thresholdToPoints } from '../model/uplift';
import { branchesOf, isNodeType, isObject, nodeTypeInfo, num, str } from '../model/nodeTypes';
import type { ChangeStatus } from '../model/diff';
import { NODE_TYPES, type Diagnostic, type JourneyNode, type NodeCounts, type NodeType } from '../model/types';

export type FlowKind = NodeType | 'unknown';

export interface FlowNodeData extends Record<string, unknown> {
  node: JourneyNode;
  ports: { port: string; known: boolean }[];
  hasInput: boolean;
  diags?: Diagnostic[];
  counts?: NodeCounts;
  status?: ChangeStatus;
  moved?: boolean;
  onPath?: boolean;
  dim?: boolean;
  offerName?: string;
}

/** Node kinds as a discriminated union on `type`, as xyflow's `Node<Data, Type>`. */
export type FlowNode = { [K in FlowKind]: Node<FlowNodeData, K> }[FlowKind];

export function flowKind(type: string): FlowKind {
  return isNodeType(type) ? type : 'unknown';
}

const clip = (s: string, n = 48) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function nodeSummary(t: TFunction, node: JourneyNode, offerName?: string): string {
  const p = isObject(node.params) ? node.params : {};
  switch (node.type) {
    case 'trigger.event': {
      const base = t('summary.event', { event: str(p.event, '?') });
      return p.where ? `${base} · ${t('summary.where', { cond: conditionSentence(t, p.where) })}` : base;
    }
    case 'trigger.schedule':
      return `${t('summary.cron', { cron: str(p.cron, '?') })} · ${conditionSentence(t, p.audience)}`;
    case 'trigger.pattern': {
      const base = t('summary.pattern', { count: num(p.count) ?? '?', event: str(p.event, '?'), within: durationText(t, p.within) });
      return p.unless ? `${base} · ${t('summary.unless', { event: str(p.unless) })}` : base;
    }
    case 'trigger.placement': {
      const base = t('summary.placement', { placement: str(p.placement, '?') });
      const where = p.where ? `${base} · ${t('summary.where', { cond: conditionSentence(t, p.where) })}` : base;
      const fb = isObject(p.fallback) ? str(p.fallback.template) : '';
      return fb ? `${where} · ${t('summary.placementFallback', { template: fb })}` : where;
    }
    case 'trigger.segment':
      return t(p.on === 'exit' ? 'behaviour.trigger.summaryExit' : 'behaviour.trigger.summaryEnter', { segment: str(p.segment, '?') });
    case 'condition':
      return conditionSentence(t, p.when);
    case 'gate.uplift':
      return t('uplift.gate.summary', { model: str(p.model, '?'), pp: typeof p.threshold === 'number' && Number.isFinite(p.threshold) ? thresholdToPoints(p.threshold) : '?' });
    case 'switch':
      return Array.isArray(p.cases) ? p.cases.filter(isObject).map((c) => str(c.port)).join(' / ') : '';
    case 'split.random':
      return t('summary.split', { parts: branchesOf(p.branches).map((b) => `${str(b.port)} ${num(b.percent) ?? '?'}%`).join(' / ') });
    case 'split.experiment':
      return t('summary.experiment', { experiment: str(p.experiment, '?'), holdout: num(p.holdout_percent) ?? 0 });
    case 'wait.delay':
      return t('summary.wait', { duration: durationText(t, p.duration) });
    case 'wait.event':
      return t('summary.waitEvent', { event: str(p.event, '?'), timeout: durationText(t, p.timeout) });
    case 'action.offer':
      return t('summary.offer', { offer: offerName ? `${offerName} (${str(p.offer)})` : str(p.offer, '?') });
    case 'action.touch':
      return t('summary.touch', {
        channels: Array.isArray(p.channels) ? p.channels.map((c) => channelText(t, String(c))).join('→') : '?',
        template: str(p.template, '?'),
      });
    case 'action.points':
      return t('summary.points', { amount: num(p.amount) ?? '?' });
    case 'action.update':
      return t('summary.update', { keys: isObject(p.set) ? Object.keys(p.set).join(', ') : '?' });
    default:
      return '';
  }
}

export function portLabel(t: TFunction, port: string): string {
  return t(`ports.${port}`, { defaultValue: port });
}

function JourneyNodeView({ data, selected }: NodeProps<FlowNode>) {
  const { t } = useTranslation();
  const { node } = data;
  const known = isNodeType(node.type);
  const info = known ? nodeTypeInfo(node.type as NodeType) : null;
  const errors = data.diags?.filter((d) => d.severity === 'error').length ?? 0;
  const warnings = (data.diags?.length ?? 0) - errors;
  const classes = [
    'jnode',
    `group-${info?.group ?? 'unknown'}`,
    selected ? 'selected' : '',
    errors ? 'has-error' : warnings ? 'has-warning' : '',
    data.status ? `diff-${data.status}` : '',
    data.moved ? 'diff-moved' : '',
    data.onPath ? 'on-path' : '',
    data.dim ? 'dim' : '',
  ];
  const summary = nodeSummary(t, node, data.offerName);
  const title = data.diags?.map((d) => `${t(`diag.codes.${d.code}`, { defaultValue: d.code })}: ${diagText(t, { ...d, node: node.id }, { schema: '', offers: [], policy: {}, journeys: [{ id: d.journey ?? '', nodes: [node], edges: [] }] })}`).join('\n');
  return (
    <div className={classes.join(' ')} data-testid={`node-${node.id}`} data-node-id={node.id} title={title}>
      {data.hasInput ? <Handle type="target" position={Position.Left} id="in" className="handle-in" /> : null}
      <div className="jnode-head">
        <span className="jnode-glyph">{info?.glyph ?? '?'}</span>
        <span className="jnode-type">{t(`nodeTypes.${known ? node.type : 'unknown'}`)}</span>
        {data.counts ? (
          <span className="badge badge-count" data-testid={`count-${node.id}`}>
            {data.counts.entered.toLocaleString()}
          </span>
        ) : null}
        {errors ? <span className="badge badge-error">{errors}</span> : null}
        {warnings ? <span className="badge badge-warning">{warnings}</span> : null}
        {data.status && data.status !== 'unchanged' ? <span className={`badge badge-${data.status}`}>{t(`review.changes.${data.status}`)}</span> : null}
      </div>
      <div className="jnode-title">{node.label || node.id}</div>
      {summary ? <div className="jnode-summary">{clip(summary, 64)}</div> : null}
      {!known ? <div className="jnode-summary">{String(node.type)}</div> : null}
      {data.ports.length > 0 ? (
        <div className="jnode-ports">
          {data.ports.map(({ port, known: k }) => (
            <div key={port} className={k ? 'port' : 'port port-unknown'}>
              <span className="port-label">{portLabel(t, port)}</span>
              {data.counts ? <span className="port-count">{(data.counts.ports[port] ?? 0).toLocaleString()}</span> : null}
              <Handle type="source" position={Position.Right} id={port} className="handle-out" />
            </div>
          ))}
        </div>
      ) : null}
    </div>
  );
}

// The view reads `data` and `selected` only: xyflow also passes the measured size and the position,
// which change when the node is measured or dragged and must not draw its content again.
const Memo = memo(JourneyNodeView, (a, b) => a.data === b.data && a.selected === b.selected);

/** Module-scope `nodeTypes`: every kind draws with the same memoised component. */
export const nodeTypes = Object.fromEntries([...NODE_TYPES, 'unknown'].map((k) => [k, Memo])) as Record<FlowKind, typeof Memo>;
