// A diagnostic as a sentence in the user's language (model/diagText.ts), with the code, the JSON
// pointer and the engine's own message behind "details".

import { useTranslation } from 'react-i18next';
import { diagText } from '../model/diagText';
import type { Diagnostic, Workspace } from '../model/types';

export function DiagDetails({ d }: { d: Diagnostic }) {
  const { t } = useTranslation();
  return (
    <details className="diag-details" data-testid="diag-details">
      <summary>{t('diagText.details')}</summary>
      <div>
        <code>{d.code}</code>
        {d.path !== undefined ? (
          <>
            {' '}
            · {t('diagText.where')} <code>{d.path || '/'}</code>
          </>
        ) : null}
      </div>
      {d.message ? (
        <div>
          {t('diagText.engineSays')}: {d.message}
        </div>
      ) : null}
    </details>
  );
}

/** A list of diagnostics (a refused submission, a release's validation, a failed simulation). */
export function DiagLines(props: { diags: Diagnostic[]; doc: Workspace | null; testId?: string; count?: boolean }) {
  const { t } = useTranslation();
  return (
    <ul className="diag-list" data-testid={props.testId} {...(props.count ? { 'data-count': props.diags.length } : {})}>
      {props.diags.map((d, i) => (
        <li key={i} className={`diag diag-${d.severity}`}>
          <span className="diag-text">{diagText(t, d, props.doc)}</span>
          <DiagDetails d={d} />
        </li>
      ))}
    </ul>
  );
}
