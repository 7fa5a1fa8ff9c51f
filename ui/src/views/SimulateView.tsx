// The sandbox: run the workspace on generated sample data in the engine, then see users per node
// and per edge on the canvas, charts of the report, and any user's decisions step by step.

import { modelsOf } from '../model/uplift';
import { useMemo, useState } from 'react';
import { ReactFlowProvider } from '@xyflow/react';
import { useTranslation } from 'react-i18next';
import { JourneyCanvas } from '../canvas/JourneyCanvas';
import { journeysOf, offersOf } from '../model/commands';
import type { DecisionRecord } from '../model/types';
import { useEditor } from '../store/editor';
import { sessionStore, useSession, type SimParams } from '../store/session';
import { ErrorBanner, Field, NumberInput } from '../common/ui';
import { NeedsEngine } from './EngineSettings';
import { ReportCharts, SummaryCards } from './Charts';
import { TauriBackend } from '../backend';
import { DatasetSummary, SampleData } from './SampleData';
import { useSample } from '../store/sample';
import { DecisionTable } from './DecisionLog';
import { JourneyMeasurement, ReplayNote } from './Measurement';
import { AttributionCard } from './Attribution';
import { settingsOf } from '../model/measurement';
import { DiagLines } from '../panels/DiagLine';
import { NodeDetail, pathUsers } from './NodeDetail';

function Controls() {
  const { t } = useTranslation();
  const sim = useSession((s) => s.sim);
  const diagnostics = useSession((s) => s.diagnostics);
  const doc = useEditor((s) => s.doc);
  const backend = useSession((s) => s.backend);
  const [params, setParams] = useState<SimParams>(sim.params);
  const [showData, setShowData] = useState(false);
  const dataset = useSample((s) => s.dataset);
  const importing = useSample((s) => s.status === 'running');
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const running = sim.status === 'running';
  const p = sim.progress;
  const pct = p && p.total > 0 ? Math.min(100, (p.done / p.total) * 100) : null;
  const desktop = backend instanceof TauriBackend ? backend : null;
  const source = desktop ? (params.source ?? 'generated') : 'generated';
  // data-status and data-started say which run the view shows and whether it has finished (the
  // e2e test waits on them instead of on whatever count happens to be drawn).
  return (
    <div className="sim-controls" data-testid="sim-controls" data-status={sim.status} data-started={sim.startedAt}>
      {desktop ? (
        <div className="segmented" role="radiogroup" aria-label={t('sim.data.source')}>
          <button type="button" role="radio" aria-checked={source === 'generated'} className={source === 'generated' ? 'tab active' : 'tab'} onClick={() => setParams({ ...params, source: 'generated' })} data-testid="sim-source-generated">
            {t('sim.data.generated')}
          </button>
          <button type="button" role="radio" aria-checked={source === 'imported'} className={source === 'imported' ? 'tab active' : 'tab'} onClick={() => { setParams({ ...params, source: 'imported' }); if (!dataset) setShowData(true); }} data-testid="sim-source-imported">
            {t('sim.data.imported')}
          </button>
        </div>
      ) : null}
      {desktop && source === 'imported' ? (
        <div className="sim-dataset">
          {showData ? null : <DatasetSummary />}
          <button type="button" onClick={() => setShowData(!showData)} data-testid="sample-data-toggle">
            {showData ? t('sim.data.hide') : t('sim.data.manage')}
          </button>
          {showData ? <SampleData api={desktop} /> : null}
        </div>
      ) : (
      <div className="row3">
        <Field label={t('sim.users')}>
          <NumberInput value={params.users} integer min={1} onChange={(v) => setParams({ ...params, users: v ?? 1 })} testId="sim-users" />
        </Field>
        <Field label={t('sim.days')}>
          <NumberInput value={params.days} integer min={1} max={365} onChange={(v) => setParams({ ...params, days: v ?? 1 })} testId="sim-days" />
        </Field>
        <Field label={t('sim.seed')}>
          <NumberInput value={params.seed} integer onChange={(v) => setParams({ ...params, seed: v ?? 0 })} testId="sim-seed" />
        </Field>
      </div>
      )}
      {modelsOf(doc).length > 0 ? (
        <Field label={t('uplift.attach.label')}>
          <select
            value={params.uplift_model ?? ''}
            onChange={(e) => {
              const { uplift_model: _drop, ...rest } = params;
              setParams(e.target.value ? { ...rest, uplift_model: e.target.value } : rest);
            }}
            title={t('uplift.attach.hint')}
            data-testid="sim-uplift-model"
          >
            <option value="">{t('uplift.attach.none')}</option>
            {modelsOf(doc).map((m) => (
              <option key={m.id} value={m.id}>
                {m.name ? `${m.name} (${m.id})` : m.id}
              </option>
            ))}
          </select>
        </Field>
      ) : null}
      {errors > 0 ? <div className="banner banner-warning">{t('sim.hasErrors')}</div> : null}
      {running ? (
        <button type="button" onClick={() => sessionStore.getState().cancelSimulation()} data-testid="sim-cancel">
          {t('sim.cancel')}
        </button>
      ) : (
        <button
          type="button"
          className="primary"
          disabled={source === 'imported' && (importing || !dataset || dataset.events === 0)}
          onClick={() => void sessionStore.getState().runSimulation(doc, { ...params, source })}
          data-testid="sim-run"
        >
          {t('sim.run')}
        </button>
      )}
      {running ? (
        <div className="progress" data-testid="sim-progress">
          <div className={pct === null ? 'progress-bar indeterminate' : 'progress-bar'} style={pct === null ? undefined : { width: `${pct}%` }} />
          <span className="progress-text">{p && p.total > 0
            ? p.phase === 'write'
              ? t('sim.preparing', { pct: Math.floor(pct ?? 0) })
              : p.phase === 'generate'
                ? t('sim.generating', { pct: Math.floor(pct ?? 0) })
              : t('sim.progress', { done: p.done.toLocaleString(), total: p.total.toLocaleString() })
            : p?.phase === 'read'
              ? t('sim.reading')
              : t('sim.running')}</span>
        </div>
      ) : null}
      {sim.status === 'cancelled' ? <div className="muted">{t('sim.cancelled')}</div> : null}
      {sim.status === 'error' ? <ErrorBanner error={sim.error} testId="sim-error" /> : null}
      {sim.status === 'error' && sim.error?.diagnostics.length ? (
        <DiagLines diags={sim.error.diagnostics} doc={sim.doc ?? doc} />
      ) : null}
    </div>
  );
}

function UserPath(props: { log: DecisionRecord[]; user: string; setUser: (u: string) => void; onNode: (journey: string, node: string) => void }) {
  const { t } = useTranslation();
  const users = useMemo(() => pathUsers(props.log), [props.log]);
  const records = useMemo(() => props.log.filter((r) => r.user_id === props.user).sort((a, b) => a.seq - b.seq), [props.log, props.user]);
  return (
    <div className="user-path" data-testid="user-path">
      <h3>{t('sim.path.title')}</h3>
      <Field label={t('sim.path.pick')} hint={t('sim.path.users', { count: users.length })}>
        <input type="text" list="sim-users" value={props.user} placeholder={t('sim.path.placeholder')} onChange={(e) => props.setUser(e.target.value)} data-testid="path-user" />
        <datalist id="sim-users">
          {users.slice(0, 500).map((u) => (
            <option key={u} value={u} />
          ))}
        </datalist>
      </Field>
      {!props.user ? <div className="muted">{t('sim.path.none')}</div> : records.length === 0 ? <div className="muted">{t('sim.path.noRecords')}</div> : <DecisionTable records={records} onNode={props.onNode} testId="path-table" />}
    </div>
  );
}

export function SimulateView() {
  const { t } = useTranslation();
  const sim = useSession((s) => s.sim);
  const doc = useEditor((s) => s.doc);
  const [journeyIdx, setJourneyIdx] = useState(0);
  const [user, setUser] = useState('');
  const [focus, setFocus] = useState<{ node: string; seq: number } | null>(null);
  const [picked, setPicked] = useState<string | null>(null);

  const shown = sim.doc ?? doc;
  const journeys = journeysOf(shown);
  const journey = journeys[Math.min(journeyIdx, journeys.length - 1)];
  const report = sim.result?.report;
  const log = sim.result?.log;

  const path = useMemo(() => {
    if (!user || !log || !journey) return undefined;
    const s = new Set<string>();
    for (const r of log) if (r.user_id === user && r.journey === journey.id && r.node) s.add(r.node);
    return s;
  }, [user, log, journey]);

  const overlays = useMemo(() => {
    const counts = report && journey ? report.journeys?.[journey.id] : undefined;
    return { ...(counts ? { counts } : {}), ...(path ? { path } : {}) };
  }, [report, journey, path]);

  return (
    <NeedsEngine>
      <div className="simulate" data-testid="simulate-view">
        <aside className="sim-side">
          <h3>{t('sim.title')}</h3>
          <Controls />
          {report ? <SummaryCards report={report} /> : null}
          {log ? (
            <UserPath
              log={log}
              user={user}
              setUser={setUser}
              onNode={(j, node) => {
                const i = journeys.findIndex((x) => x.id === j);
                if (i >= 0) setJourneyIdx(i);
                setFocus({ node, seq: (focus?.seq ?? 0) + 1 });
              }}
            />
          ) : null}
        </aside>
        <div className="sim-main">
          {sim.doc && sim.doc !== doc && sim.status === 'done' ? <div className="banner banner-info">{t('sim.stale')}</div> : null}
          <div className="journey-tabs">
            {journeys.map((j, i) => (
              <button key={`${i}:${j.id}`} type="button" className={journey === j ? 'tab active' : 'tab'} onClick={() => setJourneyIdx(i)}>
                {j.name || j.id}
                {report?.journeys?.[j.id] ? <span className="badge badge-count">{report.journeys[j.id]?.entered.toLocaleString()}</span> : null}
              </button>
            ))}
          </div>
          {report && journey && picked ? (
            <NodeDetail journey={journey} node={picked} counts={report.journeys?.[journey.id]} log={log} onUser={setUser} onClose={() => setPicked(null)} />
          ) : report ? (
            <div className="muted">{t('nodeDetail.pickHint')}</div>
          ) : null}
          <div className="sim-canvas">
            {journey ? (
              <ReactFlowProvider>
                <JourneyCanvas journey={journey} offers={offersOf(shown)} overlays={overlays} focus={focus} fitRequest={journeyIdx} testId="sim-canvas" onNodeClick={setPicked} />
              </ReactFlowProvider>
            ) : null}
          </div>
          {report && journey ? (
            <div className="chart-card measure-card" data-testid="sim-measurement">
              <h3>{t('measure.title', { journey: journey.name || journey.id })}</h3>
              <ReplayNote />
              <JourneyMeasurement report={report} journey={journey} settings={settingsOf(shown)} showPlan upliftEmpty />
            </div>
          ) : null}
          {report && journey ? (
            <AttributionCard report={report} journey={journey.id} offerNames={Object.fromEntries(offersOf(shown).map((o) => [o.id, typeof o.name === 'string' ? o.name : '']))} testId="sim-attribution" />
          ) : null}
          {report ? <ReportCharts report={report} offerNames={Object.fromEntries(offersOf(shown).map((o) => [o.id, typeof o.name === 'string' ? o.name : '']))} /> : <div className="empty-state">{t('sim.empty')}</div>}
        </div>
      </div>
    </NeedsEngine>
  );
}
