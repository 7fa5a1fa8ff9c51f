// The visual diff of a release against the live version: the release's journey on a read-only
// canvas with nodes added / changed / removed (ghosts) highlighted, and the changes listed with
// params side by side.

import { useMemo, useState } from 'react';
import { ReactFlowProvider } from '@xyflow/react';
import { useTranslation } from 'react-i18next';
import { JourneyCanvas } from '../canvas/JourneyCanvas';
import { offersOf } from '../model/commands';
import { diffCounts, diffWorkspaces, type FieldChange, type JourneyDiff } from '../model/diff';
import type { Workspace } from '../model/types';

function show(v: unknown): string {
  if (v === undefined) return '∅';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function ChangesTable({ changes, testId }: { changes: FieldChange[]; testId?: string }) {
  const { t } = useTranslation();
  if (changes.length === 0) return null;
  return (
    <table className="changes" data-testid={testId}>
      <thead>
        <tr>
          <th />
          <th>{t('review.changes.before')}</th>
          <th>{t('review.changes.after')}</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((c) => (
          <tr key={c.path}>
            <td>
              <code>{c.path || '/'}</code>
            </td>
            <td className="before">{show(c.before)}</td>
            <td className="after">{show(c.after)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function JourneyChanges({ d, onNode }: { d: JourneyDiff; onNode: (id: string) => void }) {
  const { t } = useTranslation();
  const changed = d.nodes.filter((n) => n.status !== 'unchanged');
  const edges = d.edges.filter((e) => e.status !== 'unchanged');
  return (
    <div className="journey-changes">
      <div className="muted">{t('review.changes.nodes', diffCounts(d))}</div>
      {d.fields.length ? (
        <>
          <h4>{t('review.changes.fields')}</h4>
          <ChangesTable changes={d.fields} />
        </>
      ) : null}
      {changed.map((n) => (
        <div key={n.id} className={`node-change diff-${n.status}`} data-testid={`change-${n.id}`}>
          <button type="button" className="link" onClick={() => onNode(n.id)}>
            <b>{n.id}</b>
          </button>{' '}
          <span className={`badge badge-${n.status}`}>{t(`review.changes.${n.status}`)}</span> <span className="muted">{String((n.after ?? n.before)?.type ?? '')}</span>
          {n.status === 'changed' ? <ChangesTable changes={n.changes} /> : null}
          {n.status === 'added' && n.after ? <pre className="json">{JSON.stringify(n.after.params, null, 2)}</pre> : null}
        </div>
      ))}
      {edges.length ? (
        <ul className="edge-changes">
          {edges.map((e) => (
            <li key={`${e.status}-${e.key}`} className={`diff-${e.status}`}>
              <span className={`badge badge-${e.status}`}>{t(`review.changes.${e.status}`)}</span> {e.key} → {(e.after ?? e.before)?.to}
              {e.status === 'changed' ? <span className="muted"> ({show(e.before?.to)} → {show(e.after?.to)})</span> : null}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export function DiffView(props: { before: Workspace | undefined; after: Workspace }) {
  const { t } = useTranslation();
  const diff = useMemo(() => diffWorkspaces(props.before, props.after), [props.before, props.after]);
  const [idx, setIdx] = useState(0);
  const [focus, setFocus] = useState<{ node: string; seq: number } | null>(null);
  const jd = diff.journeys[Math.min(idx, diff.journeys.length - 1)];
  const shown = jd ? (jd.after ?? jd.before) : undefined;
  const overlays = useMemo(() => (jd ? { diff: jd } : {}), [jd]);
  const offerChanges = diff.offers.filter((o) => o.status !== 'unchanged');
  return (
    <div className="diff-view" data-testid="diff-view">
      {!props.before ? <div className="banner banner-info">{t('review.noLive')}</div> : null}
      <div className="journey-tabs">
        {diff.journeys.map((j, i) => (
          <button key={`${i}:${j.id}`} type="button" className={i === idx ? 'tab active' : 'tab'} onClick={() => setIdx(i)}>
            {j.id} <span className={`badge badge-${j.status}`}>{t(`review.changes.${j.status}`)}</span>
          </button>
        ))}
      </div>
      <div className="diff-body">
        <div className="diff-canvas">
          {shown ? (
            <ReactFlowProvider>
              <JourneyCanvas journey={shown} offers={offersOf(props.after)} overlays={overlays} focus={focus} fitRequest={idx} testId="diff-canvas" wheelZoomsOnlyWhenFocused onNodeClick={(id) => setFocus({ node: id, seq: (focus?.seq ?? 0) + 1 })} />
            </ReactFlowProvider>
          ) : null}
        </div>
        <div className="diff-list">
          {jd ? <JourneyChanges d={jd} onNode={(id) => setFocus({ node: id, seq: (focus?.seq ?? 0) + 1 })} /> : null}
          {offerChanges.length ? (
            <>
              <h4>{t('review.changes.offers')}</h4>
              {offerChanges.map((o) => (
                <div key={o.id} className={`diff-${o.status}`}>
                  <b>{o.id}</b> <span className={`badge badge-${o.status}`}>{t(`review.changes.${o.status}`)}</span>
                  <ChangesTable changes={o.changes} />
                </div>
              ))}
            </>
          ) : null}
          {diff.policy.length ? (
            <>
              <h4>{t('review.changes.policy')}</h4>
              <ChangesTable changes={diff.policy} />
            </>
          ) : null}
          {diff.journeys.every((j) => j.status === 'unchanged') && !offerChanges.length && !diff.policy.length ? <div className="muted">{t('review.changes.none')}</div> : null}
        </div>
      </div>
    </div>
  );
}
