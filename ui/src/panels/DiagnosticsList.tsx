// The list of problems from live validation. Clicking one selects its node (switching journey
// and centring the view) or opens the panel it belongs to.

import { useTranslation } from 'react-i18next';
import { diagTarget } from '../model/diagnostics';
import type { Diagnostic } from '../model/types';
import { editorStore, useEditor } from '../store/editor';
import { useSession } from '../store/session';
import { errorText } from '../common/ui';
import { diagText } from '../model/diagText';
import { DiagDetails } from './DiagLine';

export function DiagnosticsList() {
  const { t } = useTranslation();
  const diagnostics = useSession((s) => s.diagnostics);
  const state = useSession((s) => s.validation);
  const error = useSession((s) => s.validationError);
  const validatedDoc = useSession((s) => s.validatedDoc);
  const doc = useEditor((s) => s.doc);
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;

  const open = (d: Diagnostic) => {
    const target = diagTarget(d, validatedDoc ?? doc);
    const s = editorStore.getState();
    if (target.area === 'node' && target.journey !== null && target.node !== undefined) s.focusNode(target.journey, target.node);
    else if (target.area === 'edge' && target.journey !== null && target.edge !== undefined) {
      if (s.active !== target.journey) s.setActive(target.journey);
      s.select({ nodes: [], edges: [target.edge] });
      s.setPanel('node');
    } else if (target.area === 'offers') s.setPanel('offers');
    else if (target.area === 'policy') s.setPanel('policy');
    else if (target.area === 'aggregates' || target.area === 'segments' || target.area === 'models') s.setPanel(target.area);
    else if (target.journey !== null) {
      if (s.active !== target.journey) s.setActive(target.journey);
      s.setPanel('journey');
    }
  };

  let status: string;
  if (state === 'offline') status = t('diag.offline');
  else if (state === 'pending' && diagnostics.length === 0) status = t('diag.pending');
  else if (state === 'error') status = t('diag.failed', { message: errorText(t, error) });
  else if (diagnostics.length === 0 && state === 'ok') status = t('diag.none');
  else status = t('diag.counts', { errors, warnings });

  return (
    <div className="diagnostics" data-testid="diagnostics">
      <div className={`diag-status diag-state-${state}`} data-testid="diag-status">
        <b>{t('diag.title')}</b> {status}
        {state === 'pending' ? <span className="spinner" /> : null}
      </div>
      {diagnostics.length > 0 ? (
        <ul className="diag-list">
          {diagnostics.map((d, i) => (
            <li key={i}>
              <button type="button" className={`diag diag-${d.severity}`} onClick={() => open(d)} data-testid={`diag-${d.code}`}>
                <span className="diag-title">{t(`diag.codes.${d.code}`, { defaultValue: d.code })}</span>
                <span className="diag-msg">{diagText(t, d, validatedDoc ?? doc)}</span>
              </button>
              <DiagDetails d={d} />
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
