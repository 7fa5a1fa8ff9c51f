// The workspace's behaviour aggregates (issue 20, docs/aggregates.md): list, add, edit and delete
// them in a marketer's words — which event, what to compute (次数/合计/…), of which value, over
// which time window, optionally only some events — with the engine's problems about each, and
// its values on the sample data when the simulation report carries them.

import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import * as cmd from '../model/commands';
import { EVENT_TYPES, fieldCatalog, type FieldInfo } from '../model/condition';
import {
  AGG_FNS,
  AGG_KEY_ORDER,
  aggregateText,
  aggValueType,
  aggregatesOf,
  countReads,
  eventName,
  fnAllowsTs,
  fnNeedsField,
  parseWindow,
  putKey,
  readAggregateDistribution,
  WINDOW_UNITS,
  withFn,
  type AggFn,
  type Aggregate,
  type WindowUnit,
} from '../model/behaviour';
import { isObject, str, uniqueId } from '../model/nodeTypes';
import { fieldText } from '../model/sentence';
import type { Diagnostic, Workspace } from '../model/types';
import { editorStore, useEditor } from '../store/editor';
import { useSession } from '../store/session';
import { EmptyState, Field, NumberInput, PickOrType, Select, TextInput } from '../common/ui';
import { formatCount } from '../model/format';
import { ConditionBuilder, typeName } from './ConditionBuilder';
import { DiagLines } from './DiagLine';
import { Bars } from './Bars';

function setAggregates(f: (list: Aggregate[]) => Aggregate[], coalesce?: string) {
  editorStore.getState().apply((d) => {
    const next = f(aggregatesOf(d).slice());
    // The CLI leaves an empty list out of the document: so does the editor.
    return cmd.setDocField(d, 'aggregates', next.length ? next : undefined);
  }, coalesce ? { coalesce: `aggregates/${coalesce}` } : undefined);
}

function setAgg(i: number, f: (a: Aggregate) => Aggregate, coalesce?: string) {
  setAggregates((list) => list.map((a, k) => (k === i ? f(a) : a)), coalesce ? `${i}/${coalesce}` : undefined);
}

const setField = (i: number, key: string, value: unknown) => setAgg(i, (a) => putKey(a, key, value, AGG_KEY_ORDER), key);

/** The events known: the sample data's, and any the document names. */
function knownEvents(doc: Workspace): string[] {
  const out = new Set<string>(EVENT_TYPES);
  for (const a of aggregatesOf(doc)) if (isObject(a) && typeof a.event === 'string' && a.event) out.add(a.event);
  for (const j of cmd.journeysOf(doc)) for (const n of cmd.nodesOf(j)) if (isObject(n.params) && typeof n.params.event === 'string' && n.params.event) out.add(n.params.event);
  return [...out];
}

/** The diagnostics about aggregate `i` (`/aggregates/<i>` and below). */
export function aggregateDiags(diags: Diagnostic[], i: number): Diagnostic[] {
  const at = `/aggregates/${i}`;
  return diags.filter((d) => d.path === at || d.path?.startsWith(`${at}/`) === true);
}

/** A window: the user's whole history, or the last N days / hours / minutes ("7d"). */
export function WindowInput(props: { value: string | undefined; onChange: (v: string | undefined) => void; testId?: string }) {
  const { t } = useTranslation();
  const w = parseWindow(props.value);
  if (props.value !== undefined && !w) {
    // Not N d/h/m (an engine duration like "90s" or "P1D"): keep it editable as written.
    return <TextInput value={props.value} onChange={(v) => props.onChange(v === '' ? undefined : v)} invalid testId={props.testId} />;
  }
  return (
    <span className="agg-window" data-testid={props.testId}>
      <select
        value={w ? 'last' : 'whole'}
        aria-label={t('behaviour.window.label')}
        data-testid={props.testId ? `${props.testId}-mode` : undefined}
        onChange={(e) => props.onChange(e.target.value === 'whole' ? undefined : '30d')}
      >
        <option value="whole">{t('behaviour.window.whole')}</option>
        <option value="last">{t('behaviour.window.last')}</option>
      </select>
      {w ? (
        <>
          <NumberInput value={w.amount} integer min={1} onChange={(n) => props.onChange(`${n ?? 1}${w.unit}`)} testId={props.testId ? `${props.testId}-amount` : undefined} />
          <select
            value={w.unit}
            aria-label={t('behaviour.window.unit')}
            data-testid={props.testId ? `${props.testId}-unit` : undefined}
            onChange={(e) => props.onChange(`${w.amount}${e.target.value as WindowUnit}`)}
          >
            {WINDOW_UNITS.map((u) => (
              <option key={u} value={u}>
                {t(`behaviour.window.units.${u}`)}
              </option>
            ))}
          </select>
        </>
      ) : null}
    </span>
  );
}

function Distribution({ id }: { id: string }) {
  const { t } = useTranslation();
  const sim = useSession((s) => s.sim);
  const report = sim.status === 'done' ? sim.result?.report : undefined;
  let body;
  if (!report) body = <EmptyState title={t('behaviour.agg.dist.noSim')} testId={`agg-dist-nosim-${id}`} />;
  else {
    const dist = readAggregateDistribution(report, id);
    if (!dist || dist.buckets.length === 0) body = <EmptyState title={t('behaviour.agg.dist.noFigures')} testId={`agg-dist-none-${id}`} />;
    else
      body = (
        <div data-testid={`agg-dist-${id}`}>
          <Bars rows={dist.buckets.map((b) => ({ key: b.label, label: b.label, value: b.users }))} unit={(n) => t('behaviour.seg.sizes.users', { count: n, n: formatCount(n) })} />
          <div className="field-hint">
            {dist.users !== null ? t('behaviour.agg.dist.users', { n: formatCount(dist.users) }) : null}
            {dist.users !== null && dist.missing !== null ? ' · ' : null}
            {dist.missing !== null ? t('behaviour.agg.dist.missing', { n: formatCount(dist.missing) }) : null}
          </div>
          <div className="field-hint">{t('behaviour.agg.dist.stale')}</div>
        </div>
      );
  }
  return (
    <details className="agg-dist">
      <summary>{t('behaviour.agg.dist.title')}</summary>
      {body}
    </details>
  );
}

function AggregateForm({ a, i, doc, fields, events, diags, diagDoc }: { a: Aggregate; i: number; doc: Workspace; fields: FieldInfo[]; events: string[]; diags: Diagnostic[]; diagDoc: Workspace }) {
  const { t } = useTranslation();
  const fn = str(a.fn, 'count');
  const id = str(a.id);
  const eventFields = fields.filter((f) => f.path !== 'event.type' && f.path !== 'event.ts');
  const fieldOptions = [
    ...(fnAllowsTs(fn) ? [{ value: 'ts', label: t('behaviour.agg.fieldTs') }] : []),
    ...eventFields.map((f) => ({ value: f.path, label: `${fieldText(t, f.path)} (${f.path.replace(/^event\./, '')})` })),
  ];
  const type = aggValueType(a, doc, fields);
  const reads = countReads({ journeys: doc.journeys, segments: doc.segments }, `agg.${id}`);
  return (
    <fieldset className="offer agg" data-testid={`agg-${i}`}>
      <legend>
        {aggregateText(t, a)} <span className="muted">· {reads ? t('behaviour.agg.usedBy', { count: reads }) : t('behaviour.agg.unused')}</span>
      </legend>
      <div className="row2">
        <Field label={t('behaviour.agg.id')}>
          <TextInput value={id} onChange={(v) => setField(i, 'id', v)} testId={`agg-id-${i}`} />
        </Field>
        <Field label={t('behaviour.agg.event')}>
          <PickOrType
            value={str(a.event)}
            options={events.map((e) => ({ value: e, label: eventName(t, e) === e ? e : `${eventName(t, e)} (${e})` }))}
            onChange={(v) => setField(i, 'event', v)}
            otherLabel={t('fieldPicker.other')}
            testId={`agg-event-${i}`}
          />
        </Field>
      </div>
      <div className="row2">
        <Field label={t('behaviour.agg.fn')}>
          <Select
            value={fn}
            options={AGG_FNS.map((f) => ({ value: f, label: t(`behaviour.agg.fns.${f}`) }))}
            onChange={(v) => setAgg(i, (x) => withFn(x, v as AggFn))}
            testId={`agg-fn-${i}`}
          />
        </Field>
        {fnNeedsField(fn) ? (
          <Field label={t('behaviour.agg.field')}>
            <PickOrType
              value={str(a.field)}
              options={fieldOptions}
              onChange={(v) => setField(i, 'field', v)}
              otherLabel={t('behaviour.agg.fieldOther')}
              testId={`agg-field-${i}`}
            />
          </Field>
        ) : null}
      </div>
      <Field label={t('behaviour.window.label')} group>
        <WindowInput value={typeof a.window === 'string' ? a.window : undefined} onChange={(v) => setField(i, 'window', v)} testId={`agg-window-${i}`} />
      </Field>
      {a.where === undefined ? (
        <button
          type="button"
          data-testid={`agg-add-where-${i}`}
          onClick={() => setField(i, 'where', { field: 'event.category', operator: 'eq', value: '' })}
        >
          + {t('behaviour.agg.addWhere')}
        </button>
      ) : (
        <Field label={t('behaviour.agg.where')} group>
          <ConditionBuilder value={a.where} onChange={(v) => setField(i, 'where', v)} fields={fields} testId={`agg-where-${i}`} />
          <button type="button" className="link" onClick={() => setField(i, 'where', undefined)}>
            {t('behaviour.agg.removeWhere')}
          </button>
        </Field>
      )}
      <div className="field-hint" data-testid={`agg-read-as-${i}`}>
        {t('behaviour.agg.readAs', { path: `agg.${id}`, type: typeName(t, type) })}
      </div>
      {diags.length > 0 ? (
        <div className="node-diags">
          <div className="field-label">{t('behaviour.agg.problems')}</div>
          <DiagLines diags={diags} doc={diagDoc} testId={`agg-diags-${i}`} />
        </div>
      ) : null}
      <Distribution id={id} />
      <button type="button" className="danger" data-testid={`agg-remove-${i}`} onClick={() => setAggregates((list) => list.filter((_, k) => k !== i))}>
        {t('behaviour.agg.remove')}
      </button>
    </fieldset>
  );
}

export function AggregatesPanel() {
  const { t } = useTranslation();
  const doc = useEditor((s) => s.doc);
  const diagnostics = useSession((s) => s.diagnostics);
  const validatedDoc = useSession((s) => s.validatedDoc);
  const list = aggregatesOf(doc);
  const fields = useMemo(() => fieldCatalog(doc, 'event'), [doc]);
  const events = useMemo(() => knownEvents(doc), [doc]);
  return (
    <div className="panel-pad" data-testid="aggregates-panel">
      <h3>{t('behaviour.agg.title')}</h3>
      <p className="field-hint">{t('behaviour.agg.intro')}</p>
      {list.length === 0 ? <EmptyState title={t('behaviour.agg.empty')} body={t('behaviour.agg.emptyBody')} testId="aggregates-empty" /> : null}
      {list.map((a, i) =>
        isObject(a) ? (
          <AggregateForm key={i} a={a} i={i} doc={doc} fields={fields} events={events} diags={aggregateDiags(diagnostics, i)} diagDoc={validatedDoc ?? doc} />
        ) : null,
      )}
      <button
        type="button"
        data-testid="add-aggregate"
        onClick={() =>
          setAggregates((l) => [...l, { id: uniqueId('agg', new Set(l.map((a) => a.id))), event: 'order_paid', fn: 'count', window: '30d' }])
        }
      >
        + {t('behaviour.agg.add')}
      </button>
    </div>
  );
}
