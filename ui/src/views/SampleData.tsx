// The sandbox's sample data in the desktop app: import JSON Lines / CSV files (with a column
// mapping for CSV) or pull recent events and profiles from the connected engine. The work runs in
// the shell, off the UI thread, with progress; a bad line is shown with its file, line and field.

import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ColumnMapping, DataKind, ImportPreview, TauriBackend } from '../backend';
import { ErrorBanner, Field, NumberInput, errorText } from '../common/ui';
import { defaultMapping, importErrorParts, sampleStore, useSample } from '../store/sample';

interface Row {
  path: string;
  kind: DataKind;
  preview: ImportPreview | null;
  mapping: ColumnMapping[] | null;
  previewError: unknown;
}

const emptyRow = (kind: DataKind): Row => ({ path: '', kind, preview: null, mapping: null, previewError: null });

const TYPES: ColumnMapping['type'][] = ['auto', 'string', 'number', 'boolean', 'json'];

export function fieldChoices(kind: DataKind): string[] {
  return kind === 'events' ? ['event_id', 'user_id', 'type', 'ts', 'props.'] : ['user_id', 'attrs.', 'contact.', 'consent.'];
}

function MappingTable(props: { index: number; row: Row; onChange: (m: ColumnMapping[]) => void }) {
  const { t } = useTranslation();
  const { preview, mapping } = props.row;
  if (!preview || preview.format !== 'csv' || !mapping) return null;
  const listId = `import-fields-${props.index}-${props.row.kind}`;
  return (
    <>
      <table className="import-mapping" data-testid={`import-mapping-${props.index}`}>
        <thead>
          <tr>
            <th>{t('sim.data.column')}</th>
            <th>{t('sim.data.example')}</th>
            <th>{t('sim.data.field')}</th>
            <th>{t('sim.data.type')}</th>
          </tr>
        </thead>
        <tbody>
          {mapping.map((m, i) => (
            <tr key={m.column}>
              <td>
                <code>{m.column}</code>
              </td>
              <td className="muted">{preview.rows[0]?.[i] ?? ''}</td>
              <td>
                <input
                  type="text"
                  list={listId}
                  value={m.field}
                  placeholder={t('sim.data.skip')}
                  onChange={(e) => props.onChange(mapping.map((x, j) => (j === i ? { ...x, field: e.target.value } : x)))}
                  data-testid={`import-field-${props.index}-${m.column}`}
                />
              </td>
              <td>
                <select value={m.type} onChange={(e) => props.onChange(mapping.map((x, j) => (j === i ? { ...x, type: e.target.value as ColumnMapping['type'] } : x)))} data-testid={`import-type-${props.index}-${m.column}`}>
                  {TYPES.map((ty) => (
                    <option key={ty} value={ty}>
                      {t(`sim.data.types.${ty}`)}
                    </option>
                  ))}
                </select>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {/* The field names the inputs above offer (a datalist may not sit inside a table). */}
      <datalist id={listId}>
        {fieldChoices(props.row.kind).map((f) => (
          <option key={f} value={f} />
        ))}
      </datalist>
    </>
  );
}

/** The last import error, with its file, line and field. */
export function ImportError(props: { error: unknown }) {
  const { t } = useTranslation();
  const parts = importErrorParts(props.error);
  if (!props.error) return null;
  if (!parts) return <ErrorBanner error={props.error} testId="import-error" />;
  return (
    <div className="banner banner-error" role="alert" data-testid="import-error" data-file={parts.file} data-line={parts.line} data-field={parts.field ?? ''}>
      <b>{t('sim.data.failed')}</b>
      <div>
        {parts.line > 0
          ? parts.field
            ? t('sim.data.errorAtField', { file: parts.file, line: parts.line, field: parts.field })
            : t('sim.data.errorAt', { file: parts.file, line: parts.line })
          : parts.file}
      </div>
      <div>{parts.reason}</div>
      <div className="muted">{t('sim.data.unchanged')}</div>
    </div>
  );
}

export function DatasetSummary() {
  const { t } = useTranslation();
  const dataset = useSample((s) => s.dataset);
  if (!dataset) return <div className="muted" data-testid="dataset-summary" data-events="0" data-profiles="0">{t('sim.data.noDataset')}</div>;
  return (
    <div className="dataset-summary" data-testid="dataset-summary" data-events={dataset.events} data-profiles={dataset.profiles}>
      {t('sim.data.summary', { profiles: dataset.profiles.toLocaleString(), events: dataset.events.toLocaleString() })}
      <div className="muted">
        {dataset.source === 'engine' ? t('sim.data.fromEngine') : t('sim.data.fromFiles', { files: dataset.files.map((f) => f.name.split(/[\\/]/).pop()).join(', ') })}
      </div>
    </div>
  );
}

function Progress() {
  const { t } = useTranslation();
  const p = useSample((s) => s.progress);
  const task = useSample((s) => s.task);
  const pct = p && p.total > 0 ? Math.min(100, (p.done / p.total) * 100) : null;
  return (
    <div className="progress" data-testid="import-progress">
      <div className={pct === null ? 'progress-bar indeterminate' : 'progress-bar'} style={pct === null ? undefined : { width: `${pct}%` }} />
      <span className="progress-text">{task === 'pull' && !p?.total ? t('sim.data.pulling') : t('sim.data.progress', { rows: (p?.rows ?? 0).toLocaleString(), pct: pct === null ? 0 : Math.floor(pct) })}</span>
    </div>
  );
}

export function SampleData(props: { api: TauriBackend }) {
  const { t } = useTranslation();
  const status = useSample((s) => s.status);
  const error = useSample((s) => s.error);
  const [rows, setRows] = useState<Row[]>([emptyRow('profiles'), emptyRow('events')]);
  const [pullEvents, setPullEvents] = useState<number>(10000);
  const [pullProfiles, setPullProfiles] = useState<number>(10000);
  const running = status === 'running';

  useEffect(() => {
    void sampleStore.getState().loadDataset(props.api);
  }, [props.api]);

  const setRow = (i: number, r: Partial<Row>) => setRows((old) => old.map((x, j) => (j === i ? { ...x, ...r } : x)));

  const preview = async (i: number, path: string, kind: DataKind) => {
    if (!path.trim()) return;
    try {
      const p = await props.api.previewImport(path);
      setRow(i, { preview: p, mapping: p.format === 'csv' ? defaultMapping(kind, p.header) : null, previewError: null });
    } catch (e) {
      setRow(i, { preview: null, mapping: null, previewError: e });
    }
  };

  const browse = async (i: number) => {
    try {
      const picked = await props.api.pickFiles(t('dialogs.open'));
      if (!picked?.length) return;
      const first = picked[0]!;
      setRow(i, { path: first });
      void preview(i, first, rows[i]!.kind);
      // More than one file picked: one row each, of the same kind.
      if (picked.length > 1) {
        setRows((old) => [...old, ...picked.slice(1).map((p) => ({ ...emptyRow(old[i]!.kind), path: p }))]);
      }
    } catch (e) {
      setRow(i, { previewError: e });
    }
  };

  const files = rows
    .filter((r) => r.path.trim())
    .map((r) => ({ path: r.path.trim(), kind: r.kind, ...(r.mapping ? { mapping: r.mapping } : {}) }));

  return (
    <div className="sample-data" data-testid="sample-data">
      <DatasetSummary />
      <h4>{t('sim.data.importTitle')}</h4>
      <div className="muted">{t('sim.data.importHint')}</div>
      {rows.map((r, i) => (
        <div key={i} className="import-row" data-testid={`import-row-${i}`}>
          <div className="import-row-head">
            <select value={r.kind} onChange={(e) => { const kind = e.target.value as DataKind; setRow(i, { kind, mapping: r.preview?.format === 'csv' ? defaultMapping(kind, r.preview.header) : null }); }} data-testid={`import-kind-${i}`}>
              <option value="profiles">{t('sim.data.profiles')}</option>
              <option value="events">{t('sim.data.events')}</option>
            </select>
            <span className="import-file-name" title={r.path}>
              {r.path.split(/[\\/]/).pop() || t('sim.data.noFile')}
            </span>
            <button type="button" onClick={() => void browse(i)} disabled={running} data-testid={`import-browse-${i}`}>
              {t('sim.data.browse')}
            </button>
            <button type="button" onClick={() => void preview(i, r.path, r.kind)} disabled={running || !r.path.trim()} data-testid={`import-preview-${i}`}>
              {t('sim.data.preview')}
            </button>
          </div>
          <input
            type="text"
            value={r.path}
            placeholder={t('sim.data.pathPlaceholder')}
            onChange={(e) => setRow(i, { path: e.target.value, preview: null, mapping: null, previewError: null })}
            onBlur={() => void preview(i, r.path, r.kind)}
            data-testid={`import-path-${i}`}
          />
          {r.previewError ? <div className="field-error">{errorText(t, r.previewError)}</div> : null}
          {r.preview?.format === 'jsonl' ? <div className="muted import-jsonl">{t('sim.data.jsonl', { first: r.preview.rows[0]?.[0]?.slice(0, 120) ?? '' })}</div> : null}
          <MappingTable index={i} row={r} onChange={(mapping) => setRow(i, { mapping })} />
        </div>
      ))}
      <div className="row-actions">
        <button type="button" onClick={() => setRows([...rows, emptyRow('events')])} disabled={running} data-testid="import-add">
          {t('sim.data.addFile')}
        </button>
        <button type="button" className="primary" disabled={running || files.length === 0} onClick={() => void sampleStore.getState().importFiles(props.api, files)} data-testid="import-run">
          {t('sim.data.import')}
        </button>
      </div>
      {running ? (
        <>
          <Progress />
          <button type="button" onClick={() => sampleStore.getState().cancel()} data-testid="import-cancel">
            {t('sim.cancel')}
          </button>
        </>
      ) : null}
      {status === 'cancelled' ? <div className="muted">{t('sim.cancelled')}</div> : null}
      {status === 'error' ? <ImportError error={error} /> : null}
      <h4>{t('sim.data.pullTitle')}</h4>
      <div className="row3">
        <Field label={t('sim.data.pullEvents')}>
          <NumberInput value={pullEvents} integer min={0} max={100000} onChange={(v) => setPullEvents(v ?? 0)} testId="pull-events" />
        </Field>
        <Field label={t('sim.data.pullProfiles')}>
          <NumberInput value={pullProfiles} integer min={0} max={100000} onChange={(v) => setPullProfiles(v ?? 0)} testId="pull-profiles" />
        </Field>
      </div>
      <button type="button" disabled={running} onClick={() => void sampleStore.getState().pull(props.api, { events: pullEvents, profiles: pullProfiles })} data-testid="pull-run">
        {t('sim.data.pull')}
      </button>
    </div>
  );
}
