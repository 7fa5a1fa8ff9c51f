// The properties form of one node: id, label, and a form per node type. Every edit is a store
// command (undoable; typing coalesces per field). Params are updated by spreading the old
// params, so unknown params and key order survive.

import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import * as cmd from '../model/commands';
import { EVENT_TYPES, fieldCatalog, type FieldInfo } from '../model/condition';
import { branchesOf, isNodeType, isObject, num, str } from '../model/nodeTypes';
import { diagText } from '../model/diagText';
import { labelSuggestion } from '../model/labels';
import { channelReachText, channelText } from '../model/vocab';
import { CHANNELS, type Branch, type Diagnostic, type JourneyNode, type Workspace } from '../model/types';
import { editorStore } from '../store/editor';
import { DurationInput, EmptyState, Field, JsonEditor, NumberInput, Select, TextInput, PickOrType } from '../common/ui';
import { ConditionBuilder } from './ConditionBuilder';
import { segmentsOf } from '../model/behaviour';
import { featureField, modelsOf, pointsToThreshold, readModel, thresholdToPoints, validThreshold } from '../model/uplift';
import { formatCount } from '../model/format';
import { placementProblem, placementsOf } from '../model/placement';

interface FormCtx {
  node: JourneyNode;
  params: Record<string, unknown>;
  doc: Workspace;
  /** Set (undefined: remove) one param. */
  setParam(key: string, value: unknown): void;
  /** Replace params where ports may be renamed (old → new) or removed. */
  setParamsPorts(params: Record<string, unknown>, renames?: Record<string, string>, coalesce?: string): void;
  fields: FieldInfo[];
  audienceFields: FieldInfo[];
  events: string[];
}

function collectStrings(doc: Workspace, key: string): string[] {
  const out = new Set<string>();
  for (const j of cmd.journeysOf(doc)) for (const n of cmd.nodesOf(j)) if (isObject(n.params) && typeof n.params[key] === 'string') out.add(n.params[key] as string);
  return [...out].filter(Boolean).sort();
}

/** Offers the label with the new number when the parameters no longer quote the label's. */
function LabelFollow({ node, journey }: { node: JourneyNode; journey: number }) {
  const { t } = useTranslation();
  const s = labelSuggestion(node.label, node.params);
  if (!s) return null;
  return (
    <div className="banner banner-info label-follow" data-testid="label-follow">
      {t('labelFollow.text', { stale: s.stale, fresh: s.fresh })}{' '}
      <button type="button" onClick={() => editorStore.getState().apply((d) => cmd.setNodeField(d, journey, node.id, 'label', s.label))} data-testid="label-follow-apply">
        {t('labelFollow.apply', { label: s.label })}
      </button>
    </div>
  );
}

export function NodeForm(props: { node: JourneyNode; journey: number; doc: Workspace; diags: Diagnostic[] }) {
  const { t } = useTranslation();
  const { node, journey: j, doc } = props;
  const params = isObject(node.params) ? node.params : {};
  const fields = useMemo(() => fieldCatalog(doc), [doc]);
  const audienceFields = useMemo(() => fieldCatalog(doc, 'audience'), [doc]);
  const events = useMemo(() => {
    const used = collectStrings(doc, 'event');
    return [...new Set([...EVENT_TYPES, ...used])];
  }, [doc]);

  const ctx: FormCtx = {
    node,
    params,
    doc,
    fields,
    audienceFields,
    events,
    setParam(key, value) {
      editorStore.getState().apply((d) => cmd.setParam(d, j, node.id, key, value), { coalesce: `${j}/${node.id}/params/${key}` });
    },
    setParamsPorts(p, renames, coalesce) {
      editorStore.getState().apply((d) => cmd.setParamsWithPorts(d, j, node.id, p, renames), coalesce ? { coalesce: `${j}/${node.id}/${coalesce}` } : undefined);
    },
  };

  return (
    <div className="node-form" data-testid="node-form">
      <Field label={t('props.type')}>
        <span className="readonly">
          {isNodeType(node.type) ? t(`nodeTypes.${node.type}`) : t('nodeTypes.unknown')} <code>{String(node.type)}</code>
        </span>
      </Field>
      <IdField node={node} journey={j} />
      <Field label={t('props.label')}>
        <TextInput
          value={typeof node.label === 'string' ? node.label : ''}
          testId="node-label"
          onChange={(v) =>
            editorStore.getState().apply((d) => cmd.setNodeField(d, j, node.id, 'label', v === '' ? undefined : v), { coalesce: `${j}/${node.id}/label` })
          }
        />
      </Field>
      <LabelFollow node={node} journey={j} />
      <TypeForm ctx={ctx} />
      {props.diags.length > 0 ? (
        <div className="node-diags">
          <div className="field-label">{t('props.diagnostics')}</div>
          {props.diags.map((d, i) => (
            <div key={i} className={`diag diag-${d.severity}`}>
              <b>{t(`diag.codes.${d.code}`, { defaultValue: d.code })}</b> {diagText(t, d, props.doc)}
              {d.path ? <code> {d.path}</code> : null}
            </div>
          ))}
        </div>
      ) : null}
      <button type="button" className="danger" onClick={() => editorStore.getState().deleteElements([node.id], [])} data-testid="delete-node">
        {t('props.deleteNode')}
      </button>
    </div>
  );
}

/** The id is committed on blur or Enter (renaming re-points edges and must stay unique). */
function IdField({ node, journey }: { node: JourneyNode; journey: number }) {
  const { t } = useTranslation();
  const [text, setText] = useState(node.id);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setText(node.id);
    setError(null);
  }, [node.id]);
  const commit = () => {
    if (text === node.id) return;
    const s = editorStore.getState();
    const next = cmd.renameNode(s.doc, journey, node.id, text);
    if (typeof next === 'string') {
      setError(t(`props.idErrors.${next}`));
      return;
    }
    s.apply(() => next);
    s.select({ nodes: [text], edges: [] });
  };
  return (
    <Field label={t('props.id')} error={error}>
      <input
        type="text"
        value={text}
        data-testid="node-id"
        className={error ? 'invalid' : ''}
        onChange={(e) => {
          setText(e.target.value);
          setError(null);
        }}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit();
          if (e.key === 'Escape') setText(node.id);
        }}
      />
    </Field>
  );
}

function OptionalCondition(props: { label: string; value: unknown; onChange: (v: unknown) => void; fields: FieldInfo[] }) {
  const { t } = useTranslation();
  if (props.value === undefined) {
    return (
      <Field label={props.label} group>
        <button type="button" onClick={() => props.onChange({ operator: 'AND', children: [{ field: props.fields[0]?.path ?? 'event.amount', operator: 'eq', value: '' }] })} data-testid="add-where">
          + {t('props.addWhere')}
        </button>
      </Field>
    );
  }
  return (
    <Field label={props.label} group>
      <ConditionBuilder value={props.value} onChange={props.onChange} fields={props.fields} />
      <button type="button" className="link" onClick={() => props.onChange(undefined)}>
        {t('props.removeWhere')}
      </button>
    </Field>
  );
}

const CRON_PRESETS = ['0 10 * * *', '0 9 * * 1', '0 20 * * 5', '0 12 1 * *', '*/30 * * * *'];

function TypeForm({ ctx }: { ctx: FormCtx }) {
  const { t } = useTranslation();
  const p = ctx.params;
  switch (ctx.node.type) {
    case 'trigger.event':
      return (
        <>
          <Field label={t('props.event')}>
            <TextInput value={str(p.event)} list={ctx.events} onChange={(v) => ctx.setParam('event', v)} testId="param-event" />
          </Field>
          <OptionalCondition label={t('props.where')} value={p.where} onChange={(v) => ctx.setParam('where', v)} fields={ctx.fields} />
        </>
      );
    case 'trigger.schedule':
      return (
        <>
          <Field label={t('props.cron')} group>
            <TextInput value={str(p.cron)} onChange={(v) => ctx.setParam('cron', v)} testId="param-cron" />
            <select value="" onChange={(e) => e.target.value && ctx.setParam('cron', e.target.value)} aria-label={t('props.cronPresets')}>
              <option value="">{t('props.cronPresets')}…</option>
              {CRON_PRESETS.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </Field>
          <Field label={t('props.audience')} group>
            <ConditionBuilder value={p.audience} onChange={(v) => ctx.setParam('audience', v)} fields={ctx.audienceFields} />
          </Field>
        </>
      );
    case 'trigger.pattern':
      return (
        <>
          <Field label={t('props.event')}>
            <TextInput value={str(p.event)} list={ctx.events} onChange={(v) => ctx.setParam('event', v)} testId="param-event" />
          </Field>
          <Field label={t('props.count')}>
            <NumberInput value={num(p.count)} integer min={1} onChange={(v) => ctx.setParam('count', v ?? 1)} />
          </Field>
          <Field label={t('props.within')}>
            <DurationInput value={typeof p.within === 'string' ? p.within : undefined} onChange={(v) => ctx.setParam('within', v)} />
          </Field>
          <OptionalCondition label={t('props.where')} value={p.where} onChange={(v) => ctx.setParam('where', v)} fields={ctx.fields} />
          <Field label={t('props.unless')}>
            <TextInput value={str(p.unless)} list={ctx.events} onChange={(v) => ctx.setParam('unless', v === '' ? undefined : v)} />
          </Field>
        </>
      );
    case 'trigger.segment':
      return <SegmentTriggerForm ctx={ctx} />;
    case 'trigger.placement':
      return <PlacementTriggerForm ctx={ctx} />;
    case 'gate.uplift':
      return <UpliftGateForm ctx={ctx} />;
    case 'condition':
      return (
        <Field label={t('props.when')} group>
          <ConditionBuilder value={p.when} onChange={(v) => ctx.setParam('when', v)} fields={ctx.fields} />
        </Field>
      );
    case 'switch':
      return <SwitchForm ctx={ctx} />;
    case 'split.random':
      return (
        <>
          <BranchesForm ctx={ctx} paramKey="branches" label={t('props.branches')} />
          <Field label={t('props.salt')}>
            <TextInput value={str(p.salt)} onChange={(v) => ctx.setParam('salt', v === '' ? undefined : v)} />
          </Field>
        </>
      );
    case 'split.experiment':
      return (
        <>
          <Field label={t('props.experiment')}>
            <TextInput value={str(p.experiment)} onChange={(v) => ctx.setParam('experiment', v)} />
          </Field>
          <BranchesForm ctx={ctx} paramKey="variants" label={t('props.variants')} />
          <Field label={t('props.holdout')}>
            <NumberInput value={num(p.holdout_percent)} optional min={0} max={100} onChange={(v) => ctx.setParam('holdout_percent', v)} />
          </Field>
        </>
      );
    case 'wait.delay':
      return (
        <Field label={t('props.duration')}>
          <DurationInput value={typeof p.duration === 'string' ? p.duration : undefined} onChange={(v) => ctx.setParam('duration', v)} testId="param-duration" />
        </Field>
      );
    case 'wait.event':
      return (
        <>
          <Field label={t('props.event')}>
            <TextInput value={str(p.event)} list={ctx.events} onChange={(v) => ctx.setParam('event', v)} testId="param-event" />
          </Field>
          <OptionalCondition label={t('props.where')} value={p.where} onChange={(v) => ctx.setParam('where', v)} fields={ctx.fields} />
          <Field label={t('props.timeout')}>
            <DurationInput value={typeof p.timeout === 'string' ? p.timeout : undefined} onChange={(v) => ctx.setParam('timeout', v)} />
          </Field>
        </>
      );
    case 'action.offer':
      return <OfferPicker ctx={ctx} />;
    case 'action.touch':
      return <TouchForm ctx={ctx} />;
    case 'action.points':
      return (
        <>
          <Field label={t('props.amount')}>
            <NumberInput value={num(p.amount)} integer onChange={(v) => ctx.setParam('amount', v ?? 0)} testId="param-amount" />
          </Field>
          <Field label={t('props.reason')}>
            <TextInput value={str(p.reason)} onChange={(v) => ctx.setParam('reason', v === '' ? undefined : v)} />
          </Field>
        </>
      );
    case 'action.update':
      return (
        <Field label={t('props.set')} group>
          <KeyValueEditor value={isObject(p.set) ? p.set : {}} onChange={(v) => ctx.setParam('set', v)} />
        </Field>
      );
    case 'exit':
      return <p className="field-hint">{t('props.exitNode')}</p>;
    default:
      return (
        <Field label={t('props.params')} hint={t('props.unknownType')} group>
          <JsonEditor
            value={ctx.node.params}
            rows={8}
            onChange={(v) => {
              if (isObject(v)) ctx.setParamsPorts(v, {}, 'params');
            }}
          />
        </Field>
      );
  }
}

function moveItem<T>(list: T[], i: number, d: number): T[] {
  const j = i + d;
  if (j < 0 || j >= list.length) return list;
  const copy = list.slice();
  [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  return copy;
}

function ListRow(props: { children: ReactNode; onUp?: () => void; onDown?: () => void; onRemove: () => void }) {
  const { t } = useTranslation();
  return (
    <div className="list-row">
      <div className="list-row-body">{props.children}</div>
      <div className="list-row-actions">
        {props.onUp ? (
          <button type="button" onClick={props.onUp} title={t('props.up')}>
            ↑
          </button>
        ) : null}
        {props.onDown ? (
          <button type="button" onClick={props.onDown} title={t('props.down')}>
            ↓
          </button>
        ) : null}
        <button type="button" className="danger" onClick={props.onRemove} title={t('props.remove')}>
          ✕
        </button>
      </div>
    </div>
  );
}

function freshPort(taken: string[], base: string): string {
  for (let i = 1; ; i++) {
    const p = `${base}_${i}`;
    if (!taken.includes(p)) return p;
  }
}

function SwitchForm({ ctx }: { ctx: FormCtx }) {
  const { t } = useTranslation();
  const cases = Array.isArray(ctx.params.cases) ? (ctx.params.cases as unknown[]) : [];
  const setCases = (next: unknown[], renames?: Record<string, string>, coalesce?: string) => ctx.setParamsPorts({ ...ctx.params, cases: next }, renames, coalesce);
  const ports = cases.filter(isObject).map((c) => str(c.port));
  return (
    <Field label={t('props.cases')} group>
      {cases.map((c, i) => {
        if (!isObject(c)) return <JsonEditor key={i} value={c} onChange={(v) => setCases(cases.map((x, k) => (k === i ? v : x)))} />;
        const port = str(c.port);
        return (
          <ListRow
            key={i}
            onUp={i > 0 ? () => setCases(moveItem(cases, i, -1)) : undefined}
            onDown={i < cases.length - 1 ? () => setCases(moveItem(cases, i, 1)) : undefined}
            onRemove={() => setCases(cases.filter((_, k) => k !== i))}
          >
            <Field label={t('props.port')} inline>
              <TextInput value={port} onChange={(v) => setCases(cases.map((x, k) => (k === i ? { ...c, port: v } : x)), { [port]: v }, `case${i}/port`)} />
            </Field>
            <ConditionBuilder value={c.when} onChange={(v) => setCases(cases.map((x, k) => (k === i ? { ...c, when: v } : x)), {}, `case${i}/when`)} fields={ctx.fields} />
          </ListRow>
        );
      })}
      <button
        type="button"
        onClick={() => setCases([...cases, { port: freshPort(ports, 'case'), when: { field: ctx.fields[0]?.path ?? 'user.level', operator: 'eq', value: '' } }])}
        data-testid="add-case"
      >
        + {t('props.addCase')}
      </button>
    </Field>
  );
}

function BranchesForm({ ctx, paramKey, label }: { ctx: FormCtx; paramKey: 'branches' | 'variants'; label: string }) {
  const { t } = useTranslation();
  const raw = Array.isArray(ctx.params[paramKey]) ? (ctx.params[paramKey] as unknown[]) : [];
  const branches = branchesOf(raw);
  const sum = branches.reduce((a, b) => a + (num(b.percent) ?? 0), 0);
  const set = (next: unknown[], renames?: Record<string, string>, coalesce?: string) => ctx.setParamsPorts({ ...ctx.params, [paramKey]: next }, renames, coalesce);
  return (
    <Field label={label} error={Math.abs(sum - 100) > 1e-9 ? t('props.sumBad', { sum }) : undefined} hint={t('props.sum', { sum })} group>
      {raw.map((b, i) => {
        if (!isObject(b)) return <JsonEditor key={i} value={b} onChange={(v) => set(raw.map((x, k) => (k === i ? v : x)))} />;
        const br = b as Branch;
        const port = str(br.port);
        return (
          <ListRow
            key={i}
            onUp={i > 0 ? () => set(moveItem(raw, i, -1)) : undefined}
            onDown={i < raw.length - 1 ? () => set(moveItem(raw, i, 1)) : undefined}
            onRemove={() => set(raw.filter((_, k) => k !== i))}
          >
            <span className="branch-row">
              <TextInput value={port} onChange={(v) => set(raw.map((x, k) => (k === i ? { ...br, port: v } : x)), { [port]: v }, `${paramKey}${i}/port`)} testId={`branch-port-${i}`} />
              <NumberInput
                value={num(br.percent)}
                min={0}
                max={100}
                onChange={(v) => set(raw.map((x, k) => (k === i ? { ...br, percent: v ?? 0 } : x)), {}, `${paramKey}${i}/percent`)}
                testId={`branch-percent-${i}`}
              />
              <span>{t('props.percent')}</span>
            </span>
          </ListRow>
        );
      })}
      <button type="button" onClick={() => set([...raw, { port: freshPort(branches.map((b) => str(b.port)), paramKey === 'branches' ? 'branch' : 'variant'), percent: 0 }])}>
        + {t('props.addBranch')}
      </button>
    </Field>
  );
}

/**
 * `trigger.placement`: the slot's id (a slug, checked as typed) and the optional condition on the
 * request's context, which conditions read as `event.*`.
 */
function PlacementTriggerForm({ ctx }: { ctx: FormCtx }) {
  const { t } = useTranslation();
  const value = str(ctx.params.placement);
  const problem = placementProblem(ctx.params.placement);
  const known = useMemo(() => placementsOf(ctx.doc), [ctx.doc]);
  return (
    <>
      <Field label={t('placement.form.placement')} error={problem ? t(`placement.form.${problem}`) : undefined} hint={t('placement.form.hint')}>
        <TextInput value={value} list={known} invalid={problem !== null} onChange={(v) => ctx.setParam('placement', v)} testId="param-placement" />
      </Field>
      <OptionalCondition label={t('props.where')} value={ctx.params.where} onChange={(v) => ctx.setParam('where', v)} fields={ctx.fields} />
      <PlacementFallbackField ctx={ctx} />
      <div className="field-hint" data-testid="placement-wait-rule">
        {t('placement.form.waitRule')}
      </div>
    </>
  );
}

/**
 * A template (picked from those the workspace uses, or typed) and its content (key–value rows, or
 * JSON when it is not an object): an `action.touch`'s, or a placement's fallback. `set(key, v)`
 * sets `template` or `content` (undefined removes it).
 */
function TemplateContentFields(props: { doc: Workspace; value: Record<string, unknown>; set: (key: 'template' | 'content', v: unknown) => void; templateTestId: string; templateError?: string }) {
  const { t } = useTranslation();
  const templates = useMemo(() => collectStrings(props.doc, 'template'), [props.doc]);
  const { value: p, set } = props;
  const content = p.content;
  return (
    <>
      <Field label={t('props.template')} error={props.templateError}>
        <PickOrType value={str(p.template)} options={templates.map((v) => ({ value: v, label: v }))} onChange={(v) => set('template', v)} otherLabel={t('templatePicker.other')} testId={props.templateTestId} />
      </Field>
      <Field label={t('props.content')} group>
        {content === undefined || isObject(content) ? (
          <KeyValueEditor value={isObject(content) ? content : {}} onChange={(v) => set('content', Object.keys(v).length ? v : undefined)} />
        ) : (
          <JsonEditor value={content} onChange={(v) => set('content', v)} />
        )}
      </Field>
    </>
  );
}

/**
 * `trigger.placement`'s optional `fallback`: the template (and content) a page shows when its
 * request runs out of time (docs/decide.md, "Deadlines"); without it a timeout shows nothing.
 */
function PlacementFallbackField({ ctx }: { ctx: FormCtx }) {
  const { t } = useTranslation();
  const f = ctx.params.fallback;
  if (f === undefined) {
    return (
      <Field label={t('placement.form.fallback')} group hint={t('placement.form.fallbackNone')}>
        <button type="button" onClick={() => ctx.setParam('fallback', { template: '' })} data-testid="add-fallback">
          + {t('placement.form.addFallback')}
        </button>
      </Field>
    );
  }
  const fb = isObject(f) ? f : {};
  const set = (key: string, v: unknown) => {
    const next: Record<string, unknown> = { ...fb, [key]: v };
    if (v === undefined) delete next[key];
    ctx.setParam('fallback', next);
  };
  return (
    <Field label={t('placement.form.fallback')} group hint={t('placement.form.fallbackHint')}>
      <TemplateContentFields
        doc={ctx.doc}
        value={fb}
        set={set}
        templateTestId="param-fallback-template"
        templateError={str(fb.template).trim() === '' ? t('placement.form.fallbackTemplate') : undefined}
      />
      <button type="button" className="link" onClick={() => ctx.setParam('fallback', undefined)} data-testid="remove-fallback">
        {t('placement.form.removeFallback')}
      </button>
    </Field>
  );
}

/** `trigger.segment`: which segment (picked by name), and whether entering or leaving it starts the journey. */
function SegmentTriggerForm({ ctx }: { ctx: FormCtx }) {
  const { t } = useTranslation();
  const segments = segmentsOf(ctx.doc).filter((s) => isObject(s) && typeof s.id === 'string');
  const current = str(ctx.params.segment);
  const known = segments.some((s) => s.id === current);
  const on = ctx.params.on === 'exit' ? 'exit' : 'enter';
  return (
    <>
      <Field
        label={t('behaviour.trigger.segment')}
        error={current && !known ? t('behaviour.trigger.unknown') : undefined}
        hint={segments.length === 0 ? t('behaviour.trigger.noSegments') : undefined}
      >
        <Select
          value={current}
          testId="param-segment"
          options={segments.map((s) => ({ value: s.id, label: typeof s.name === 'string' && s.name ? `${s.name} (${s.id})` : s.id }))}
          onChange={(v) => ctx.setParam('segment', v)}
        />
      </Field>
      <Field label={t('behaviour.trigger.on')}>
        <Select
          value={on}
          testId="param-segment-on"
          options={(['enter', 'exit'] as const).map((v) => ({ value: v, label: t(`behaviour.trigger.${v}`) }))}
          onChange={(v) => ctx.setParam('on', v)}
        />
      </Field>
    </>
  );
}

/** A model's label in pickers: its name (or id), learner and hold-out Qini. */
export function modelOptionLabel(t: (k: string, o?: Record<string, unknown>) => string, entry: unknown): string {
  const m = readModel(entry);
  if (!m) return '?';
  const name = m.name ? `${m.name} (${m.id})` : m.id;
  const learner = m.learner ? t(`uplift.learners.${m.learner}`, { defaultValue: m.learner }) : '?';
  const qini = m.metrics?.qini;
  return t('uplift.gate.modelOption', { name, learner, qini: typeof qini === 'number' ? formatCount(qini, { decimals: 4 }) : t('common.none') });
}

/** `gate.uplift`: which of the workspace's models, and the minimum predicted uplift in percentage points. */
function UpliftGateForm({ ctx }: { ctx: FormCtx }) {
  const { t } = useTranslation();
  const models = modelsOf(ctx.doc).filter((m) => isObject(m) && typeof m.id === 'string');
  const current = str(ctx.params.model);
  const entry = models.find((m) => m.id === current);
  const threshold = ctx.params.threshold;
  const points = typeof threshold === 'number' && Number.isFinite(threshold) ? thresholdToPoints(threshold) : undefined;
  const features = readModel(entry)?.features ?? [];
  return (
    <>
      {models.length === 0 ? (
        <EmptyState
          title={t('uplift.gate.noModels')}
          body={t('uplift.gate.noModelsBody')}
          testId="gate-no-models"
          action={
            <button type="button" onClick={() => editorStore.getState().setPanel('models')} data-testid="gate-open-models">
              {t('uplift.gate.openModels')}
            </button>
          }
        />
      ) : null}
      <Field label={t('uplift.gate.model')} error={current && !entry ? t('uplift.gate.unknown') : undefined}>
        <Select value={current} testId="param-model" options={models.map((m) => ({ value: m.id, label: modelOptionLabel(t, m) }))} onChange={(v) => ctx.setParam('model', v)} />
      </Field>
      {features.length > 0 ? (
        <div className="field-hint" data-testid="gate-reads">
          {t('uplift.gate.reads', { list: features.map((f) => `${f.name} ← ${featureField(entry, f.name)}`).join(' · ') })}
        </div>
      ) : null}
      <Field
        label={t('uplift.gate.threshold')}
        hint={t('uplift.gate.thresholdHint', { pp: points ?? '?', value: typeof threshold === 'number' ? threshold : '?' })}
        error={threshold !== undefined && !validThreshold(threshold) ? t('uplift.gate.thresholdRange') : undefined}
      >
        <NumberInput value={points} min={-100} max={100} step={0.5} onChange={(v) => ctx.setParam('threshold', v === undefined ? undefined : pointsToThreshold(v))} testId="param-threshold" />
      </Field>
    </>
  );
}

function OfferPicker({ ctx }: { ctx: FormCtx }) {
  const { t } = useTranslation();
  const offers = Array.isArray(ctx.doc.offers) ? ctx.doc.offers : [];
  const current = str(ctx.params.offer);
  const known = offers.some((o) => o.id === current);
  return (
    <Field label={t('props.offer')} error={current && !known ? t('props.unknownOffer') : undefined} hint={offers.length === 0 ? t('props.noOffers') : undefined}>
      <Select
        value={current}
        testId="param-offer"
        options={offers.map((o) => ({ value: o.id, label: `${typeof o.name === 'string' && o.name ? o.name : o.id} · ${t(`offers.kinds.${o.kind}`, { defaultValue: String(o.kind) })} ${o.face_value}` }))}
        onChange={(v) => ctx.setParam('offer', v)}
      />
    </Field>
  );
}

function TouchForm({ ctx }: { ctx: FormCtx }) {
  const { t } = useTranslation();
  const p = ctx.params;
  const channels = Array.isArray(p.channels) ? (p.channels as unknown[]).map(String) : [];
  return (
    <>
      <Field label={t('props.channels')} group>
        {channels.map((c, i) => (
          <ListRow
            key={`${c}${i}`}
            onUp={i > 0 ? () => ctx.setParam('channels', moveItem(channels, i, -1)) : undefined}
            onDown={i < channels.length - 1 ? () => ctx.setParam('channels', moveItem(channels, i, 1)) : undefined}
            onRemove={() => ctx.setParam('channels', channels.filter((_, k) => k !== i))}
          >
            <span className="chip on" title={channelReachText(t, c)} data-testid={`channel-${c}`}>
              {i + 1}. {channelText(t, c)}
            </span>
          </ListRow>
        ))}
        <span className="chips">
          {CHANNELS.filter((c) => !channels.includes(c)).map((c) => (
            <button key={c} type="button" className="chip" title={channelReachText(t, c)} onClick={() => ctx.setParam('channels', [...channels, c])} data-testid={`add-channel-${c}`}>
              + {channelText(t, c)}
            </button>
          ))}
        </span>
      </Field>
      <TemplateContentFields doc={ctx.doc} value={p} set={(key, v) => ctx.setParam(key, v)} templateTestId="param-template" />
    </>
  );
}

type ValueKind = 'string' | 'number' | 'boolean' | 'json';
const kindOf = (v: unknown): ValueKind => (typeof v === 'string' ? 'string' : typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'json');

/** An object edited as rows of key, value type and value. Key order is kept; renames keep the position. */
export function KeyValueEditor(props: { value: Record<string, unknown>; onChange: (v: Record<string, unknown>) => void }) {
  const { t } = useTranslation();
  const entries = Object.entries(props.value);
  const rebuild = (f: (k: string, v: unknown, i: number) => [string, unknown] | null) => {
    const out: Record<string, unknown> = {};
    entries.forEach(([k, v], i) => {
      const r = f(k, v, i);
      if (r) out[r[0]] = r[1];
    });
    return out;
  };
  return (
    <div className="kv">
      {entries.map(([k, v], i) => (
        <div key={i} className="kv-row">
          <input type="text" value={k} placeholder={t('props.key')} onChange={(e) => props.onChange(rebuild((kk, vv, ii) => (ii === i ? [e.target.value, vv] : [kk, vv])))} />
          <select
            value={kindOf(v)}
            onChange={(e) => {
              const to = e.target.value as ValueKind;
              const nv = to === 'string' ? (typeof v === 'string' ? v : JSON.stringify(v) ?? '') : to === 'number' ? Number(v) || 0 : to === 'boolean' ? v === true || v === 'true' : v ?? null;
              props.onChange(rebuild((kk, vv, ii) => (ii === i ? [kk, nv] : [kk, vv])));
            }}
          >
            <option value="string">{t('cond.valueType.string')}</option>
            <option value="number">{t('cond.valueType.number')}</option>
            <option value="boolean">{t('cond.valueType.boolean')}</option>
            <option value="json">{t('cond.valueType.json')}</option>
          </select>
          {kindOf(v) === 'string' ? (
            // A message body is long: a textarea across the panel's width, growing with the text.
            <textarea
              className="kv-value kv-text"
              rows={Math.min(8, Math.max(2, Math.ceil(String(v).length / 32) + String(v).split('\n').length - 1))}
              value={v as string}
              data-testid={`kv-value-${k}`}
              onChange={(e) => props.onChange(rebuild((kk, vv, ii) => (ii === i ? [kk, e.target.value] : [kk, vv])))}
            />
          ) : kindOf(v) === 'number' ? (
            <NumberInput value={v as number} onChange={(n) => props.onChange(rebuild((kk, vv, ii) => (ii === i ? [kk, n ?? 0] : [kk, vv])))} />
          ) : kindOf(v) === 'boolean' ? (
            <select value={String(v)} onChange={(e) => props.onChange(rebuild((kk, vv, ii) => (ii === i ? [kk, e.target.value === 'true'] : [kk, vv])))}>
              <option value="true">{t('common.yes')}</option>
              <option value="false">{t('common.no')}</option>
            </select>
          ) : (
            <JsonEditor value={v} rows={1} onChange={(nv) => props.onChange(rebuild((kk, vv, ii) => (ii === i ? [kk, nv] : [kk, vv])))} />
          )}
          <button type="button" className="danger" onClick={() => props.onChange(rebuild((kk, vv, ii) => (ii === i ? null : [kk, vv])))} title={t('props.remove')}>
            ✕
          </button>
        </div>
      ))}
      <button
        type="button"
        onClick={() => {
          let k = 'key';
          for (let n = 2; k in props.value; n++) k = `key_${n}`;
          props.onChange({ ...props.value, [k]: '' });
        }}
      >
        + {t('props.addAttr')}
      </button>
    </div>
  );
}
