// The workspace's uplift models (docs/uplift.md): add one from the file `trellis uplift train`
// writes (or a whole `models` entry), name it, say where each feature is read from (`user.*` or
// `agg.*`), remove it; see what it was trained on, how it did on the held-out rows, and its Qini
// curve against random targeting. Every edit goes through the editor's `apply` (undoable).

import { useMemo, useRef, useState, type ChangeEvent } from 'react';
import { useTranslation } from 'react-i18next';
import * as cmd from '../model/commands';
import { fieldCatalog, type FieldInfo } from '../model/condition';
import { isObject, str } from '../model/nodeTypes';
import { formatCount, formatPercent } from '../model/format';
import {
  featureField,
  isSlug,
  modelsOf,
  parseModelFile,
  putModelKey,
  readModel,
  suggestModelId,
  withFeatureField,
  type ModelEntry,
  type ModelSummary,
} from '../model/uplift';
import type { Diagnostic, Workspace } from '../model/types';
import { editorStore, useEditor } from '../store/editor';
import { useSession } from '../store/session';
import { EmptyState, Field, TextInput } from '../common/ui';
import { EChart } from '../views/Charts';
import { qiniOption } from '../views/Uplift';
import { FieldPicker } from './ConditionBuilder';
import { DiagLines } from './DiagLine';

function setModels(f: (list: ModelEntry[]) => ModelEntry[], coalesce?: string) {
  editorStore.getState().apply((d) => {
    const next = f(modelsOf(d).slice());
    // The CLI leaves an empty list out of the document: so does the editor.
    return cmd.setDocField(d, 'models', next.length ? next : undefined);
  }, coalesce ? { coalesce: `models/${coalesce}` } : undefined);
}

const setModel = (i: number, f: (m: ModelEntry) => ModelEntry, coalesce?: string) =>
  setModels((list) => list.map((m, k) => (k === i ? f(m) : m)), coalesce ? `${i}/${coalesce}` : undefined);

export function modelDiags(diags: Diagnostic[], i: number): Diagnostic[] {
  const at = `/models/${i}`;
  return diags.filter((d) => d.path === at || d.path?.startsWith(`${at}/`) === true);
}

/** How many `gate.uplift` nodes name model `id`. */
export function gatesUsing(doc: Workspace, id: string): number {
  let n = 0;
  for (const j of cmd.journeysOf(doc)) for (const node of cmd.nodesOf(j)) if (node.type === 'gate.uplift' && isObject(node.params) && node.params.model === id) n += 1;
  return n;
}

const rate = (v: number | null | undefined) => (v === null || v === undefined ? '—' : formatPercent(v));
const n = (v: number | null | undefined) => (v === null || v === undefined ? '—' : formatCount(v));
const metric = (v: number | null | undefined) => (v === null || v === undefined ? '—' : formatCount(v, { decimals: 4 }));

function Summary({ m }: { m: ModelSummary }) {
  const { t } = useTranslation();
  const tr = m.training;
  const split = tr?.split;
  return (
    <div data-testid={`model-summary-${m.id}`}>
      <div className="field-hint">
        {t('uplift.models.learner')}: <b>{m.learner ? t(`uplift.learners.${m.learner}`, { defaultValue: m.learner }) : '—'}</b>
        {m.treatment || m.outcome ? ` · ${t('uplift.models.columns', { treatment: m.treatment ?? '?', outcome: m.outcome ?? '?' })}` : null}
      </div>
      {tr ? (
        <>
          <div className="field-label">{t('uplift.models.training')}</div>
          <div className="cards" data-testid={`model-training-${m.id}`}>
            <div className="card">
              <div className="card-label">{t('uplift.models.rows')}</div>
              <div className="card-value">{n(tr.rows)}</div>
            </div>
            <div className="card">
              <div className="card-label">
                {t('uplift.models.treated')} / {t('uplift.models.control')}
              </div>
              <div className="card-value">
                {n(tr.treated)} / {n(tr.control)}
              </div>
            </div>
            <div className="card">
              <div className="card-label">{t('uplift.models.treatedRate')}</div>
              <div className="card-value">{rate(tr.treated_rate)}</div>
            </div>
            <div className="card">
              <div className="card-label">{t('uplift.models.controlRate')}</div>
              <div className="card-value">{rate(tr.control_rate)}</div>
            </div>
          </div>
          {split ? (
            <div className="field-hint">
              {t('uplift.models.split', { train: n(split.train_rows), test: n(split.test_rows), pct: rate(split.test_fraction), seed: split.seed ?? '—' })}
            </div>
          ) : null}
        </>
      ) : null}
      <div className="field-label">{t('uplift.models.metrics')}</div>
      {m.metrics ? (
        <>
          <div className="model-metrics" data-testid={`model-metrics-${m.id}`}>
            <div className="card">
              <div className="card-label">{t('uplift.models.qini')}</div>
              <div className="card-value" data-testid={`model-qini-${m.id}`}>
                {metric(m.metrics.qini)}
              </div>
            </div>
            <div className="card">
              <div className="card-label">{t('uplift.models.auuc')}</div>
              <div className="card-value">{metric(m.metrics.auuc)}</div>
            </div>
            <div className="card">
              <div className="card-label">{t('uplift.models.upliftAtK', { k: m.metrics.k === null ? '—' : formatPercent(m.metrics.k) })}</div>
              <div className="card-value">{m.metrics.uplift_at_k === null ? '—' : formatPercent(m.metrics.uplift_at_k)}</div>
            </div>
          </div>
          <QiniChart m={m} />
        </>
      ) : (
        <div className="muted" data-testid={`model-no-metrics-${m.id}`}>
          {t('uplift.models.noMetrics')}
        </div>
      )}
    </div>
  );
}

function QiniChart({ m }: { m: ModelSummary }) {
  const { t } = useTranslation();
  const option = useMemo(() => (m.metrics ? qiniOption(m.metrics.qini_curve, t) : null), [m.metrics, t]);
  return (
    <details className="agg-dist" open>
      <summary>{t('uplift.models.qiniTitle')}</summary>
      {option ? (
        <>
          <EChart option={option} height={220} testId={`model-qini-chart-${m.id}`} />
          <div className="field-hint">{t('uplift.models.qiniHint')}</div>
        </>
      ) : (
        <div className="muted" data-testid={`model-no-curve-${m.id}`}>
          {t('uplift.models.noCurve')}
        </div>
      )}
    </details>
  );
}

function Features({ entry, m, i, fields }: { entry: ModelEntry; m: ModelSummary; i: number; fields: FieldInfo[] }) {
  const { t } = useTranslation();
  // The catalog, plus each feature's default (`user.<name>`) and current field, so the picker lists them.
  const all = useMemo(() => {
    const out = [...fields];
    const have = new Set(out.map((f) => f.path));
    for (const f of m.features) {
      for (const path of [`user.${f.name}`, featureField(entry, f.name)]) {
        if (have.has(path)) continue;
        have.add(path);
        out.push({ path, type: f.kind === 'numeric' ? 'number' : 'string' });
      }
    }
    return out;
  }, [fields, m.features, entry]);
  if (m.features.length === 0) return null;
  return (
    <Field label={t('uplift.models.features')} hint={t('uplift.models.featuresHint')} group>
      <table className="model-features" data-testid={`model-features-${i}`}>
        <tbody>
          {m.features.map((f) => (
            <tr key={f.name}>
              <th>
                {f.name} <span className="muted">({t(`uplift.models.kinds.${f.kind}`, { defaultValue: f.kind })})</span>
              </th>
              <td data-testid={`model-feature-${i}-${f.name}`}>
                <FieldPicker value={featureField(entry, f.name)} fields={all} onChange={(v) => setModel(i, (x) => withFeatureField(x, f.name, v), `features/${f.name}`)} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Field>
  );
}

function ModelForm({ entry, i, doc, fields, diags, diagDoc }: { entry: ModelEntry; i: number; doc: Workspace; fields: FieldInfo[]; diags: Diagnostic[]; diagDoc: Workspace }) {
  const { t } = useTranslation();
  const m = readModel(entry);
  if (!m) return null;
  const uses = gatesUsing(doc, m.id);
  return (
    <fieldset className="offer model" data-testid={`model-${i}`}>
      <legend>
        {m.name ? `${m.name} (${m.id})` : m.id} <span className="muted">· {uses ? t('uplift.models.usedBy', { count: uses }) : t('uplift.models.unused')}</span>
      </legend>
      <div className="row2">
        <Field label={t('uplift.models.id')} error={m.id && !isSlug(m.id) ? t('uplift.models.idBad') : undefined}>
          <TextInput value={m.id} onChange={(v) => setModel(i, (x) => putModelKey(x, 'id', v), 'id')} testId={`model-id-${i}`} />
        </Field>
        <Field label={t('uplift.models.name')}>
          <TextInput value={str(entry.name)} onChange={(v) => setModel(i, (x) => putModelKey(x, 'name', v === '' ? undefined : v), 'name')} testId={`model-name-${i}`} />
        </Field>
      </div>
      <Summary m={m} />
      <Features entry={entry} m={m} i={i} fields={fields} />
      {diags.length > 0 ? (
        <div className="node-diags">
          <div className="field-label">{t('uplift.models.problems')}</div>
          <DiagLines diags={diags} doc={diagDoc} testId={`model-diags-${i}`} />
        </div>
      ) : null}
      <button type="button" className="danger" data-testid={`model-remove-${i}`} onClick={() => setModels((list) => list.filter((_, k) => k !== i))}>
        {t('uplift.models.remove')}
      </button>
    </fieldset>
  );
}

interface Pending {
  file: string;
  entry: ModelEntry;
  id: string;
  name: string;
}

/** Add a model from a file: an artifact asks for an id; an entry is added as it is unless its id is taken or bad. */
function AddModel({ doc }: { doc: Workspace }) {
  const { t } = useTranslation();
  const input = useRef<HTMLInputElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const taken = new Set(modelsOf(doc).map((m) => (isObject(m) ? String(m.id) : '')));

  const add = (entry: ModelEntry) => {
    setModels((list) => [...list, entry]);
    setPending(null);
    setError(null);
  };

  const onText = (text: string, file: string) => {
    const parsed = parseModelFile(text);
    if (parsed.kind === 'error') {
      setPending(null);
      setError(
        parsed.reason === 'json'
          ? t('uplift.models.badJson', { file, detail: parsed.detail ?? '' })
          : parsed.reason === 'format'
            ? t('uplift.models.badFormat', { file, format: parsed.detail ?? '' })
            : t('uplift.models.badShape', { file }),
      );
      return;
    }
    setError(null);
    if (parsed.kind === 'entry') {
      const id = typeof parsed.entry.id === 'string' ? parsed.entry.id : '';
      if (isSlug(id) && !taken.has(id)) return add(parsed.entry);
      setPending({ file, entry: parsed.entry, id: suggestModelId(id || file, taken), name: str(parsed.entry.name) });
      return;
    }
    setPending({ file, entry: { id: '', artifact: parsed.artifact }, id: suggestModelId(file, taken), name: '' });
  };

  const onFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    onText(await file.text(), file.name);
  };

  const idError = pending ? (!isSlug(pending.id) ? t('uplift.models.idBad') : taken.has(pending.id) ? t('uplift.models.idTaken') : null) : null;

  return (
    <div className="model-add">
      <button type="button" onClick={() => input.current?.click()} data-testid="add-model">
        + {t('uplift.models.add')}
      </button>
      <input ref={input} type="file" accept=".json,application/json" hidden onChange={(e) => void onFile(e)} data-testid="add-model-input" />
      <div className="field-hint">{t('uplift.models.addHint')}</div>
      {error ? (
        <div className="banner banner-error" role="alert" data-testid="add-model-error">
          {error}
        </div>
      ) : null}
      {pending ? (
        <form
          className="offer"
          data-testid="add-model-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (idError) return;
            const withId = putModelKey(pending.entry, 'id', pending.id);
            add(putModelKey(withId, 'name', pending.name.trim() === '' ? undefined : pending.name.trim()));
          }}
        >
          <div className="field-label">{t('uplift.models.askId', { file: pending.file })}</div>
          <div className="row2">
            <Field label={t('uplift.models.id')} error={idError}>
              <TextInput value={pending.id} onChange={(v) => setPending({ ...pending, id: v })} testId="add-model-id" />
            </Field>
            <Field label={t('uplift.models.name')}>
              <TextInput value={pending.name} onChange={(v) => setPending({ ...pending, name: v })} testId="add-model-name" />
            </Field>
          </div>
          <button type="submit" className="primary" disabled={idError !== null} data-testid="add-model-confirm">
            {t('uplift.models.confirmAdd')}
          </button>{' '}
          <button type="button" onClick={() => setPending(null)} data-testid="add-model-cancel">
            {t('uplift.models.cancel')}
          </button>
        </form>
      ) : null}
    </div>
  );
}

export function ModelsPanel() {
  const { t } = useTranslation();
  const doc = useEditor((s) => s.doc);
  const diagnostics = useSession((s) => s.diagnostics);
  const validatedDoc = useSession((s) => s.validatedDoc);
  const list = modelsOf(doc);
  const fields = useMemo(() => fieldCatalog(doc, 'segment'), [doc]);
  return (
    <div className="panel-pad" data-testid="models-panel">
      <h3>{t('uplift.models.title')}</h3>
      <p className="field-hint">{t('uplift.models.intro')}</p>
      {list.length === 0 ? <EmptyState title={t('uplift.models.empty')} body={t('uplift.models.emptyBody')} testId="models-empty" /> : null}
      {list.map((m, i) =>
        isObject(m) ? <ModelForm key={i} entry={m} i={i} doc={doc} fields={fields} diags={modelDiags(diagnostics, i)} diagDoc={validatedDoc ?? doc} /> : null,
      )}
      <AddModel doc={doc} />
    </div>
  );
}
