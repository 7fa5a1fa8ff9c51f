// Monitor: for a deployed journey, live counts per node on its canvas (from the engine's report
// for that journey) and the decision log, refreshing every few seconds; under them the live
// controls (pause, degrade, budgets, alerts, control history: LiveControls.tsx).

import { useEffect, useMemo, useState } from 'react';
import { ReactFlowProvider } from '@xyflow/react';
import { useTranslation } from 'react-i18next';
import type { Backend, LiveJourney } from '../backend';
import { JourneyCanvas } from '../canvas/JourneyCanvas';
import { offersOf } from '../model/commands';
import type { DecisionRecord, Report, Workspace } from '../model/types';
import { useSession } from '../store/session';
import { ErrorBanner, formatTime } from '../common/ui';
import { NeedsEngine } from './EngineSettings';
import { DecisionTable } from './DecisionLog';
import { SummaryCards } from './Charts';
import { JourneyMeasurement } from './Measurement';
import { AttributionCard } from './Attribution';
import { settingsOf } from '../model/measurement';
import { NodeDetail } from './NodeDetail';
import { UserState } from './UserState';
import { LiveControls } from './LiveControls';

const REFRESH_MS = 5000;

/** The event type a journey's first event trigger listens to, for the example command. */
function triggerEvent(ws: Workspace | null): string {
  for (const j of ws?.journeys ?? []) for (const n of j.nodes ?? []) if (n.type === 'trigger.event' && typeof n.params?.event === 'string') return n.params.event;
  return 'add_to_cart';
}

/** The exact commands that send live events to this engine (shown while no decision has come). */
export function liveEventCommands(url: string, event: string, now: Date): { http: string; amqp: string } {
  const body = JSON.stringify({ event_id: `demo-${now.getTime()}`, user_id: 'u000001', type: event, ts: now.toISOString().replace(/\.\d{3}Z$/, 'Z') });
  return {
    http: `curl -X POST ${url.replace(/\/+$/, '')}/v1/events -H "Authorization: Bearer $TRELLIS_TOKEN" -H "Content-Type: application/json" -d '${body}'`,
    amqp: `rabbitmqadmin publish exchange=marketing.events routing_key=marketing.app.events payload='${body}'`,
  };
}

export function LiveEventsHint(props: { url: string; event: string; bundled: boolean }) {
  const { t } = useTranslation();
  const cmds = liveEventCommands(props.url, props.event, new Date());
  return (
    <div className="monitor-hint" data-testid="monitor-hint">
      <b>{t('monitorHint.title')}</b>
      <p>{t('monitorHint.body')}</p>
      <pre data-testid="monitor-hint-http">{cmds.http}</pre>
      {props.bundled ? <p className="muted">{t('monitorHint.tokenBundled')}</p> : null}
      <p>{t('monitorHint.amqp')}</p>
      <pre data-testid="monitor-hint-amqp">{cmds.amqp}</pre>
    </div>
  );
}

function Monitor({ backend }: { backend: Backend }) {
  const { t } = useTranslation();
  const [live, setLive] = useState<LiveJourney[]>([]);
  const [selected, setSelected] = useState<string>('');
  const [workspace, setWorkspace] = useState<Workspace | null>(null);
  const [stats, setStats] = useState<Report | null>(null);
  const [decisions, setDecisions] = useState<DecisionRecord[]>([]);
  const [user, setUser] = useState('');
  const [auto, setAuto] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [updated, setUpdated] = useState<Date | null>(null);
  const [tick, setTick] = useState(0);
  const [picked, setPicked] = useState<string | null>(null);
  const identity = useSession((s) => s.identity);
  const engineUrl = identity?.url || (backend.kind === 'http' ? backend.target : '') || 'http://127.0.0.1:8080';

  useEffect(() => {
    backend
      .listJourneys()
      .then((l) => {
        setLive(l);
        if (!selected && l[0]) setSelected(l[0].id);
      })
      .catch(setError);
  }, [backend, tick]);

  const current = live.find((l) => l.id === selected);

  useEffect(() => {
    // `release` is null when no deployment names the live version's release.
    const release = current?.release;
    if (!release) return;
    let alive = true;
    backend
      .getRelease(release)
      .then((r) => alive && setWorkspace(r.workspace))
      .catch((e: unknown) => alive && setError(e));
    return () => {
      alive = false;
    };
  }, [backend, current?.release]);

  useEffect(() => {
    if (!selected) return;
    let alive = true;
    const load = async () => {
      try {
        const [s, d] = await Promise.all([backend.journeyStats(selected), backend.decisions({ journey: selected, limit: 200, ...(user ? { user_id: user } : {}) })]);
        if (!alive) return;
        setStats(s);
        setDecisions(d);
        setUpdated(new Date());
        setError(null);
      } catch (e) {
        if (alive) setError(e);
      }
    };
    void load();
    const h = auto ? setInterval(() => void load(), REFRESH_MS) : undefined;
    return () => {
      alive = false;
      if (h) clearInterval(h);
    };
  }, [backend, selected, user, auto, tick]);

  const journey = workspace?.journeys?.find((j) => j.id === selected);
  const overlays = useMemo(() => {
    const counts = stats?.journeys?.[selected];
    return counts ? { counts } : {};
  }, [stats, selected]);

  return (
    <div className="monitor" data-testid="monitor-view">
      <div className="monitor-bar">
        <select value={selected} onChange={(e) => setSelected(e.target.value)} data-testid="monitor-journey">
          {live.length === 0 ? <option value="">{t('review.liveEmpty')}</option> : null}
          {live.map((l) => (
            <option key={l.id} value={l.id}>
              {l.id} · {t('monitor.version', { version: l.version, rollout: l.rollout_percent, mode: t(`vocab.modes.${l.mode}`, { defaultValue: l.mode }) })}
            </option>
          ))}
        </select>
        <label className="check">
          <input type="checkbox" checked={auto} onChange={(e) => setAuto(e.target.checked)} /> {t('monitor.autoRefresh')}
        </label>
        <button type="button" onClick={() => setTick((x) => x + 1)}>
          {t('monitor.refresh')}
        </button>
        {updated ? <span className="muted">{t('monitor.updated', { at: formatTime(updated.toISOString()) })}</span> : null}
      </div>
      <ErrorBanner error={error} />
      {!selected ? <div className="empty-state">{live.length === 0 ? t('monitorHint.noLive') : t('monitor.pick')}</div> : null}
      {stats ? <SummaryCards report={stats} /> : null}
      <div className="monitor-body">
        <div className="monitor-canvas">
          {journey ? (
            <ReactFlowProvider>
              <JourneyCanvas journey={journey} offers={workspace ? offersOf(workspace) : []} overlays={overlays} fitRequest={live.findIndex((l) => l.id === selected)} testId="monitor-canvas" onNodeClick={setPicked} />
            </ReactFlowProvider>
          ) : null}
        </div>
        <div className="monitor-log">
          {journey && picked ? <NodeDetail journey={journey} node={picked} counts={stats?.journeys?.[selected]} log={decisions} onUser={setUser} onClose={() => setPicked(null)} /> : null}
          <h3>{t('monitor.decisions')}</h3>
          <input type="text" placeholder={t('monitor.user')} value={user} onChange={(e) => setUser(e.target.value)} data-testid="monitor-user" />
          <UserState backend={backend} user={user} doc={workspace} />
          {decisions.length === 0 ? (
            user ? (
              <div className="muted">{t('monitor.noDecisions')}</div>
            ) : (
              <LiveEventsHint url={engineUrl} event={triggerEvent(workspace)} bundled={identity?.engine === 'bundled'} />
            )
          ) : <DecisionTable records={[...decisions].reverse()} showUser testId="monitor-log" doc={workspace} />}
        </div>
      </div>
      <LiveControls backend={backend} journey={selected} campaign={journey?.campaign?.id} auto={auto} tick={tick} everyMs={REFRESH_MS} />
      {stats && journey ? (
        <div className="chart-card measure-card" data-testid="monitor-measurement">
          <h3>{t('measure.title', { journey: journey.name || journey.id })}</h3>
          <JourneyMeasurement report={stats} journey={journey} settings={settingsOf(workspace ?? undefined)} showPlan={false} />
        </div>
      ) : null}
      {stats && journey ? (
        <AttributionCard report={stats} journey={journey.id} offerNames={workspace ? Object.fromEntries(offersOf(workspace).map((o) => [o.id, typeof o.name === 'string' ? o.name : ''])) : undefined} testId="monitor-attribution" />
      ) : null}
    </div>
  );
}

export function MonitorView() {
  const backend = useSession((s) => s.backend);
  return <NeedsEngine>{backend ? <Monitor backend={backend} /> : null}</NeedsEngine>;
}
