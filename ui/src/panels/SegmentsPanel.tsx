// The workspace's segments (issue 20): named conditions over the profile and the behaviour
// aggregates, read by conditions as `segment.<id>` and by `trigger.segment`. Beside the
// definitions, their sizes — on the sample data from the last sandbox simulation's report, and
// live from the engine service — and the overlap of two chosen segments. Every figure comes from
// the engine; where it has none, the panel says so.

import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import * as cmd from '../model/commands';
import { fieldCatalog } from '../model/condition';
import { countReads, putKey, readSegmentReport, SEGMENT_KEY_ORDER, segmentsOf, type Segment, type SegmentDetail, type SegmentSummary } from '../model/behaviour';
import { isObject, str, uniqueId } from '../model/nodeTypes';
import { formatCount } from '../model/format';
import type { Diagnostic } from '../model/types';
import { loadSegment, loadSegments, type Live } from '../backend';
import { editorStore, useEditor } from '../store/editor';
import { useSession } from '../store/session';
import { EmptyState, ErrorBanner, Field, Section, TextInput } from '../common/ui';
import { ConditionBuilder } from './ConditionBuilder';
import { DiagLines } from './DiagLine';
import { Bars } from './Bars';

function setSegments(f: (list: Segment[]) => Segment[], coalesce?: string) {
  editorStore.getState().apply((d) => {
    const next = f(segmentsOf(d).slice());
    return cmd.setDocField(d, 'segments', next.length ? next : undefined);
  }, coalesce ? { coalesce: `segments/${coalesce}` } : undefined);
}

const setField = (i: number, key: string, value: unknown) =>
  setSegments((list) => list.map((s, k) => (k === i ? putKey(s, key, value, SEGMENT_KEY_ORDER) : s)), `${i}/${key}`);

export function segmentDiags(diags: Diagnostic[], i: number): Diagnostic[] {
  const at = `/segments/${i}`;
  return diags.filter((d) => d.path === at || d.path?.startsWith(`${at}/`) === true);
}

const pct = (n: number, of: number) => (of > 0 ? `${((n / of) * 100).toFixed(1)}%` : '—');

/** The overlap of A and B as a figure: a bar of only-A, both, only-B, and the shares. */
export function OverlapFigure(props: { a: string; b: string; sizeA: number; sizeB: number; both: number; names: Record<string, string> }) {
  const { t } = useTranslation();
  const onlyA = Math.max(0, props.sizeA - props.both);
  const onlyB = Math.max(0, props.sizeB - props.both);
  const total = Math.max(1, onlyA + props.both + onlyB);
  const parts: [string, number, string][] = [
    ['only-a', onlyA, t('behaviour.seg.overlap.onlyA')],
    ['both', props.both, t('behaviour.seg.overlap.both')],
    ['only-b', onlyB, t('behaviour.seg.overlap.onlyB')],
  ];
  return (
    <div className="overlap" data-testid="overlap-figure">
      <div className="overlap-bar">
        {parts.map(([k, n, label]) => (
          <div key={k} className={`overlap-${k}`} style={{ width: `${(n / total) * 100}%` }} title={`${label}: ${formatCount(n)}`} />
        ))}
      </div>
      <ul className="overlap-legend">
        {parts.map(([k, n, label]) => (
          <li key={k} data-testid={`overlap-${k}`}>
            <span className={`swatch overlap-${k}`} /> {label}: <b>{t('behaviour.seg.sizes.users', { count: n, n: formatCount(n) })}</b>
          </li>
        ))}
      </ul>
      <div className="field-hint" data-testid="overlap-share">
        {t('behaviour.seg.overlap.share', { pct: pct(props.both, props.sizeA), pct2: pct(props.both, props.sizeB) })}
      </div>
    </div>
  );
}

function SimSizes({ names }: { names: Record<string, string> }) {
  const { t } = useTranslation();
  const sim = useSession((s) => s.sim);
  const report = sim.status === 'done' ? sim.result?.report : undefined;
  if (!report) return <EmptyState title={t('behaviour.seg.sizes.noSim')} testId="seg-sim-nosim" />;
  const figures = readSegmentReport(report);
  if (!figures) return <EmptyState title={t('behaviour.seg.sizes.noReport')} testId="seg-sim-none" />;
  const rows = Object.entries(figures).map(([id, f]) => ({
    key: id,
    label: names[id] ?? id,
    value: f.size,
    note: `${t('behaviour.seg.sizes.entered', { count: f.entered })} · ${t('behaviour.seg.sizes.exited', { count: f.exited })}`,
  }));
  if (rows.length === 0) return <EmptyState title={t('behaviour.seg.sizes.noReport')} testId="seg-sim-none" />;
  return <Bars rows={rows} unit={(n) => t('behaviour.seg.sizes.users', { count: n, n: formatCount(n) })} testId="seg-sim-bars" />;
}

function LiveSizes({ names, live, loading, onLoad }: { names: Record<string, string>; live: Live<SegmentSummary[]> | null; loading: boolean; onLoad: () => void }) {
  const { t } = useTranslation();
  const backend = useSession((s) => s.backend);
  if (!backend) return <EmptyState title={t('behaviour.seg.sizes.noBackend')} testId="seg-live-nobackend" />;
  const button = (
    <button type="button" onClick={onLoad} disabled={loading} data-testid="seg-live-load">
      {loading ? t('behaviour.seg.sizes.loading') : live ? t('behaviour.seg.sizes.reload') : t('behaviour.seg.sizes.load')}
    </button>
  );
  if (!live) return <div>{button}</div>;
  if (live.state === 'unavailable') return <EmptyState title={t('behaviour.seg.sizes.unavailable')} testId="seg-live-unavailable" />;
  if (live.state === 'error')
    return (
      <div>
        <ErrorBanner error={live.error} testId="seg-live-error" />
        {button}
      </div>
    );
  if (live.value.length === 0) return <EmptyState title={t('behaviour.seg.sizes.none')} action={button} testId="seg-live-empty" />;
  return (
    <div>
      <Bars rows={live.value.map((s) => ({ key: s.id, label: s.name ?? names[s.id] ?? s.id, value: s.size }))} unit={(n) => t('behaviour.seg.sizes.users', { count: n, n: formatCount(n) })} testId="seg-live-bars" />
      {button}
    </div>
  );
}

function Overlap({ ids, names, live }: { ids: string[]; names: Record<string, string>; live: Live<SegmentSummary[]> | null }) {
  const { t } = useTranslation();
  const backend = useSession((s) => s.backend);
  const sim = useSession((s) => s.sim);
  const simFigures = sim.status === 'done' ? readSegmentReport(sim.result?.report) : null;
  const [a, setA] = useState(ids[0] ?? '');
  const [b, setB] = useState(ids[1] ?? '');
  // A's and B's details from the service: A's overlaps name B (or B's name A); each has its size.
  const [detail, setDetail] = useState<[Live<SegmentDetail>, Live<SegmentDetail>] | null>(null);
  const liveOff = live?.state === 'unavailable';
  const fromSim = a && b && simFigures?.[a]?.overlaps?.[b] !== undefined && simFigures[b] !== undefined;

  useEffect(() => {
    setDetail(null);
    if (!backend || !a || !b || a === b || liveOff || fromSim) return;
    let stale = false;
    void Promise.all([loadSegment(backend, a), loadSegment(backend, b)]).then((d) => {
      if (!stale) setDetail(d);
    });
    return () => {
      stale = true;
    };
  }, [backend, a, b, liveOff, fromSim]);

  if (ids.length < 2) return <EmptyState title={t('behaviour.seg.overlap.needTwo')} testId="overlap-need-two" />;
  const pick = (value: string, set: (v: string) => void, testId: string, label: string) => (
    <Field label={label}>
      <select value={value} onChange={(e) => set(e.target.value)} data-testid={testId}>
        <option value="">{t('behaviour.seg.overlap.pick')}</option>
        {ids.map((id) => (
          <option key={id} value={id}>
            {names[id] ?? id}
          </option>
        ))}
      </select>
    </Field>
  );

  let body;
  if (!a || !b || a === b) body = <EmptyState title={t('behaviour.seg.overlap.same')} testId="overlap-same" />;
  else if (fromSim && simFigures?.[a] && simFigures[b]) {
    body = <OverlapFigure a={a} b={b} sizeA={simFigures[a].size} sizeB={simFigures[b].size} both={simFigures[a].overlaps?.[b] ?? 0} names={names} />;
  } else if (!backend) body = <EmptyState title={t('behaviour.seg.overlap.noService')} testId="overlap-no-service" />;
  else if (liveOff || detail?.some((d) => d.state === 'unavailable')) body = <EmptyState title={t('behaviour.seg.overlap.unavailable')} testId="overlap-unavailable" />;
  else if (!detail) body = <div className="field-hint">{t('behaviour.seg.sizes.loading')}</div>;
  else {
    const [da, db] = detail;
    if (da.state === 'error') body = <ErrorBanner error={da.error} testId="overlap-error" />;
    else if (db.state === 'error') body = <ErrorBanner error={db.error} testId="overlap-error" />;
    else if (da.state === 'ok' && db.state === 'ok') {
      const both = da.value.overlaps[b] ?? db.value.overlaps[a];
      body = (
        <>
          {both === undefined ? (
            <EmptyState title={t('behaviour.seg.overlap.noFigure')} testId="overlap-no-figure" />
          ) : (
            <OverlapFigure a={a} b={b} sizeA={da.value.size} sizeB={db.value.size} both={both} names={names} />
          )}
          {da.value.sample.length > 0 ? (
            <div className="field-hint" data-testid="overlap-sample">
              {t('behaviour.seg.overlap.sample', { ids: da.value.sample.slice(0, 10).join(', ') })}
            </div>
          ) : null}
        </>
      );
    }
  }
  return (
    <div data-testid="overlap">
      <div className="row2">
        {pick(a, setA, 'overlap-a', t('behaviour.seg.overlap.a'))}
        {pick(b, setB, 'overlap-b', t('behaviour.seg.overlap.b'))}
      </div>
      {body}
    </div>
  );
}

export function SegmentsPanel() {
  const { t } = useTranslation();
  const doc = useEditor((s) => s.doc);
  const diagnostics = useSession((s) => s.diagnostics);
  const validatedDoc = useSession((s) => s.validatedDoc);
  const backend = useSession((s) => s.backend);
  const list = segmentsOf(doc);
  const fields = useMemo(() => fieldCatalog(doc, 'segment'), [doc]);
  const [live, setLive] = useState<Live<SegmentSummary[]> | null>(null);
  const [loading, setLoading] = useState(false);

  const names: Record<string, string> = {};
  for (const s of list) if (isObject(s) && typeof s.id === 'string') names[s.id] = typeof s.name === 'string' && s.name ? s.name : s.id;
  const ids = [...new Set([...Object.keys(names), ...(live?.state === 'ok' ? live.value.map((s) => s.id) : [])])];
  if (live?.state === 'ok') for (const s of live.value) if (!names[s.id] && s.name) names[s.id] = s.name;

  const load = () => {
    if (!backend) return;
    setLoading(true);
    void loadSegments(backend).then((r) => {
      setLive(r);
      setLoading(false);
    });
  };

  return (
    <div className="panel-pad" data-testid="segments-panel">
      <h3>{t('behaviour.seg.title')}</h3>
      <p className="field-hint">{t('behaviour.seg.intro')}</p>
      {list.length === 0 ? <EmptyState title={t('behaviour.seg.empty')} body={t('behaviour.seg.emptyBody')} testId="segments-empty" /> : null}
      {list.map((s, i) => {
        if (!isObject(s)) return null;
        const id = str(s.id);
        const reads = countReads(doc.journeys, `segment.${id}`, id);
        const diags = segmentDiags(diagnostics, i);
        return (
          <fieldset key={i} className="offer segment" data-testid={`segment-${i}`}>
            <legend>
              {names[id] ?? id} {reads ? <span className="muted">· {t('behaviour.seg.usedBy', { count: reads })}</span> : null}
            </legend>
            <div className="row2">
              <Field label={t('behaviour.seg.id')}>
                <TextInput value={id} onChange={(v) => setField(i, 'id', v)} testId={`segment-id-${i}`} />
              </Field>
              <Field label={t('behaviour.seg.name')}>
                <TextInput value={str(s.name)} onChange={(v) => setField(i, 'name', v === '' ? undefined : v)} testId={`segment-name-${i}`} />
              </Field>
            </div>
            <Field label={t('behaviour.seg.when')} group>
              <ConditionBuilder value={s.when} onChange={(v) => setField(i, 'when', v)} fields={fields} testId={`segment-when-${i}`} />
            </Field>
            {diags.length > 0 ? <DiagLines diags={diags} doc={validatedDoc ?? doc} testId={`segment-diags-${i}`} /> : null}
            <button type="button" className="danger" data-testid={`segment-remove-${i}`} onClick={() => setSegments((l) => l.filter((_, k) => k !== i))}>
              {t('behaviour.seg.remove')}
            </button>
          </fieldset>
        );
      })}
      <button
        type="button"
        data-testid="add-segment"
        onClick={() =>
          setSegments((l) => {
            const id = uniqueId('seg', new Set(l.map((x) => x.id)));
            return [...l, { id, name: id, when: { field: 'user.level', operator: 'eq', value: 'gold' } }];
          })
        }
      >
        + {t('behaviour.seg.add')}
      </button>

      <Section title={t('behaviour.seg.sizes.title')}>
        <div className="field-label">{t('behaviour.seg.sizes.sim')}</div>
        <SimSizes names={names} />
        <div className="field-label">{t('behaviour.seg.sizes.live')}</div>
        <LiveSizes names={names} live={live} loading={loading} onLoad={load} />
      </Section>

      <Section title={t('behaviour.seg.overlap.title')}>
        <Overlap key={ids.join('\u0000')} ids={ids} names={names} live={live} />
      </Section>
    </div>
  );
}
