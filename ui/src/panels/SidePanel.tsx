// The right-hand panel: the selected node's form, the journey's settings (campaign budget,
// entry, exit), the offer catalog and the policy (caps, quiet hours).

import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import * as cmd from '../model/commands';
import { indexDiagnostics } from '../model/diagnostics';
import { editorStore, useEditor, type SidePanel as Tab } from '../store/editor';
import { useSession } from '../store/session';
import { EmptyState } from '../common/ui';
import { NodeForm } from './NodeForm';
import { JourneyPanel } from './JourneyPanel';
import { OffersPanel } from './OffersPanel';
import { PolicyPanel } from './PolicyPanel';
import { AggregatesPanel } from './AggregatesPanel';
import { SegmentsPanel } from './SegmentsPanel';
import { ModelsPanel } from './ModelsPanel';

const TABS: Tab[] = ['node', 'journey', 'offers', 'policy', 'aggregates', 'segments', 'models'];
/** Issue 20's tabs are named in its own block of the i18n files. */
const tabLabel = (tab: Tab) =>
  tab === 'aggregates' || tab === 'segments' ? `behaviour.tabs.${tab}` : tab === 'models' ? 'uplift.tabs.models' : `props.tabs.${tab}`;

function NodeTab() {
  const { t } = useTranslation();
  const doc = useEditor((s) => s.doc);
  const active = useEditor((s) => s.active);
  const selection = useEditor((s) => s.selection);
  const diagnostics = useSession((s) => s.diagnostics);
  const validatedDoc = useSession((s) => s.validatedDoc);
  const journey = cmd.journeysOf(doc)[active];
  const index = useMemo(() => indexDiagnostics(diagnostics, validatedDoc ?? doc), [diagnostics, validatedDoc, doc]);

  if (selection.nodes.length === 1) {
    const node = cmd.nodesOf(journey).find((n) => n.id === selection.nodes[0]);
    if (node) return <NodeForm key={`${active}/${node.id}`} node={node} journey={active} doc={doc} diags={index.nodes.get(active)?.get(node.id) ?? []} />;
  }
  if (selection.nodes.length > 1) {
    return (
      <div className="panel-pad">
        <p>{t('props.multi', { count: selection.nodes.length })}</p>
        <button type="button" className="danger" onClick={() => editorStore.getState().deleteSelection()}>
          {t('props.deleteNode')}
        </button>
      </div>
    );
  }
  if (selection.edges.length === 1) {
    const i = selection.edges[0] as number;
    const e = cmd.edgesOf(journey)[i];
    if (e) {
      const diags = index.edges.get(active)?.get(i) ?? [];
      return (
        <div className="panel-pad">
          <p>{t('props.edge', { from: e.from, port: e.port, to: e.to })}</p>
          {diags.map((d, k) => (
            <div key={k} className={`diag diag-${d.severity}`}>
              <b>{d.code}</b> {d.message}
            </div>
          ))}
          <button type="button" className="danger" onClick={() => editorStore.getState().deleteElements([], [i])} data-testid="delete-edge">
            {t('props.deleteEdge')}
          </button>
        </div>
      );
    }
  }
  return <EmptyState title={t('props.nothing')} />;
}

export function SidePanel() {
  const { t } = useTranslation();
  const panel = useEditor((s) => s.panel);
  return (
    <aside className="side-panel" data-testid="side-panel">
      <div className="side-tabs" role="tablist">
        {TABS.map((tab) => (
          <button
            key={tab}
            type="button"
            role="tab"
            aria-selected={panel === tab}
            className={panel === tab ? 'tab active' : 'tab'}
            onClick={() => editorStore.getState().setPanel(tab)}
            data-testid={`panel-tab-${tab}`}
          >
            {t(tabLabel(tab))}
          </button>
        ))}
      </div>
      <div className="side-body">
        {panel === 'node' ? <NodeTab /> : null}
        {panel === 'journey' ? <JourneyPanel /> : null}
        {panel === 'offers' ? <OffersPanel /> : null}
        {panel === 'policy' ? <PolicyPanel /> : null}
        {panel === 'aggregates' ? <AggregatesPanel /> : null}
        {panel === 'segments' ? <SegmentsPanel /> : null}
        {panel === 'models' ? <ModelsPanel /> : null}
      </div>
    </aside>
  );
}
