// The condition builder for the rule DSL: AND/OR/NOT groups, a field picker fed by the sample
// data's fields, operators that fit the field's type and value inputs that fit the operator.
// It edits a builder tree (model/condition.ts) and writes back DSL JSON losslessly.

import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  OPERATOR_SHAPE,
  fromDsl,
  newGroup,
  isNumericType,
  newLeaf,
  operatorsFor,
  reshapeValue,
  toDsl,
  updateNode,
  type BuilderGroup,
  type BuilderLeaf,
  type BuilderNode,
  type FieldInfo,
  type LeafValue,
} from '../model/condition';
import { GROUP_OPERATORS, type GroupOperator, type LeafOperator } from '../model/types';
import { JsonEditor, NumberInput, TextInput } from '../common/ui';
import { fieldText } from '../model/sentence';
import { fieldLabel, isAgo, parseWindow, WINDOW_UNITS, type WindowUnit } from '../model/behaviour';
import type { TFunction } from 'i18next';

/** A field group's name: `agg` (行为聚合) and `segment` (人群) are issue 20's, the others the picker's. */
function groupName(t: TFunction, g: string): string {
  if (g === 'agg' || g === 'segment') return t(`behaviour.fieldGroups.${g}`);
  return t(`fieldPicker.groups.${g}`, { defaultValue: g });
}

/** A field type's name (money and count are issue 20's). */
export function typeName(t: TFunction, type: string): string {
  if (type === 'money' || type === 'count') return t(`behaviour.fieldTypes.${type}`);
  return t(`fieldPicker.types.${type}`, { defaultValue: type });
}

interface Ctx {
  fields: FieldInfo[];
  update(key: string, f: (n: BuilderNode) => BuilderNode | null): void;
}

export function ConditionBuilder(props: { value: unknown; onChange: (v: unknown) => void; fields: FieldInfo[]; testId?: string }) {
  const [tree, setTree] = useState<BuilderNode>(() => fromDsl(props.value));
  const emitted = useRef<unknown>(props.value);
  useEffect(() => {
    // An outside change (undo, another node): read the tree afresh.
    if (props.value !== emitted.current) {
      emitted.current = props.value;
      setTree(fromDsl(props.value));
    }
  }, [props.value]);

  const commit = (next: BuilderNode) => {
    setTree(next);
    const dsl = toDsl(next);
    emitted.current = dsl;
    props.onChange(dsl);
  };

  const ctx: Ctx = {
    fields: props.fields,
    update(key, f) {
      const next = updateNode(tree, key, f);
      // Removing the root leaves an empty AND for the user to fill.
      commit(next ?? newGroup('AND', [newLeaf(props.fields[0]?.path)]));
    },
  };

  return (
    <div className="cond-builder" data-testid={props.testId ?? 'condition-builder'}>
      <NodeView node={tree} ctx={ctx} root />
    </div>
  );
}

function NodeView({ node, ctx, root }: { node: BuilderNode; ctx: Ctx; root?: boolean }) {
  switch (node.kind) {
    case 'group':
      return <GroupView node={node} ctx={ctx} root={root} />;
    case 'leaf':
      return <LeafView node={node} ctx={ctx} />;
    case 'raw':
      return <RawView node={node} ctx={ctx} />;
  }
}

function RawView({ node, ctx }: { node: Extract<BuilderNode, { kind: 'raw' }>; ctx: Ctx }) {
  const { t } = useTranslation();
  return (
    <div className="cond-raw">
      <div className="field-hint">{t('cond.raw')}</div>
      <JsonEditor value={node.value} onChange={(v) => ctx.update(node.key, () => fromDsl(v))} />
    </div>
  );
}

function GroupView({ node, ctx, root }: { node: BuilderGroup; ctx: Ctx; root?: boolean | undefined }) {
  const { t } = useTranslation();
  const labels: Record<GroupOperator, string> = { AND: t('cond.all'), OR: t('cond.any'), NOT: t('cond.not') };
  const add = (child: BuilderNode) => ctx.update(node.key, (n) => (n.kind === 'group' ? { ...n, children: [...n.children, child] } : n));
  return (
    <div className={`cond-group cond-${node.operator.toLowerCase()}`} data-testid="cond-group">
      <div className="cond-group-head">
        <select
          value={node.operator}
          aria-label={t('cond.operator')}
          data-testid="cond-group-op"
          onChange={(e) => {
            const op = e.target.value as GroupOperator;
            ctx.update(node.key, (n) => {
              if (n.kind !== 'group') return n;
              // NOT over several children: keep them under an AND inside the NOT.
              if (op === 'NOT' && n.children.length > 1) return { ...n, operator: op, children: [newGroup('AND', n.children)] };
              return { ...n, operator: op };
            });
          }}
        >
          {GROUP_OPERATORS.map((op) => (
            <option key={op} value={op}>
              {labels[op]}
            </option>
          ))}
        </select>
        {node.operator !== 'NOT' || node.children.length === 0 ? (
          <>
            <button type="button" onClick={() => add(newLeaf(ctx.fields[0]?.path))} data-testid="cond-add-rule">
              + {t('cond.addRule')}
            </button>
            <button type="button" onClick={() => add(newGroup('AND', [newLeaf(ctx.fields[0]?.path)]))} data-testid="cond-add-group">
              + {t('cond.addGroup')}
            </button>
          </>
        ) : null}
        {node.operator === 'NOT' && node.children.length === 1 ? (
          <button type="button" onClick={() => ctx.update(node.key, (n) => (n.kind === 'group' ? (n.children[0] ?? n) : n))}>
            {t('cond.unwrap')}
          </button>
        ) : null}
        {!root ? (
          <button type="button" className="danger" onClick={() => ctx.update(node.key, () => null)} title={t('cond.remove')}>
            ✕
          </button>
        ) : null}
      </div>
      {node.operator === 'NOT' && node.children.length !== 1 ? <div className="field-error">{t('cond.notArity')}</div> : null}
      {node.children.length === 0 ? <div className="field-error">{t('cond.emptyGroup')}</div> : null}
      <div className="cond-children">
        {node.children.map((c) => (
          <NodeView key={c.key} node={c} ctx={ctx} />
        ))}
      </div>
    </div>
  );
}

const OTHER = '\u0000other';

/**
 * The field of a rule, picked from the known fields (the sample data's and the document's), each
 * named in words with its type; "other field…" types a path by hand.
 */
export function FieldPicker(props: { value: string; fields: FieldInfo[]; onChange: (path: string) => void }) {
  const { t } = useTranslation();
  const known = props.fields.some((f) => f.path === props.value);
  const [custom, setCustom] = useState(!known && props.value !== '');
  const groups = new Map<string, FieldInfo[]>();
  for (const f of props.fields) {
    const g = f.path.split('.')[0] ?? '';
    groups.set(g, [...(groups.get(g) ?? []), f]);
  }
  if (custom || (!known && props.value !== '')) {
    return (
      <span className="cond-field-custom">
        <TextInput className="cond-field" value={props.value} list={props.fields.map((f) => f.path)} placeholder={t('cond.field')} testId="cond-field" onChange={props.onChange} />
        <button type="button" className="link" onClick={() => setCustom(false)} title={t('fieldPicker.pick')} data-testid="cond-field-list">
          ☰
        </button>
      </span>
    );
  }
  return (
    <select
      className="cond-field"
      value={props.value}
      aria-label={t('cond.field')}
      data-testid="cond-field-pick"
      onChange={(e) => {
        if (e.target.value === OTHER) setCustom(true);
        else props.onChange(e.target.value);
      }}
    >
      {props.value === '' ? <option value="">{t('cond.field')}</option> : null}
      {[...groups].map(([g, fs]) => (
        <optgroup key={g} label={groupName(t, g)} data-testid={`cond-field-group-${g}`}>
          {fs.map((f) => (
            <option key={f.path} value={f.path} title={f.path}>
              {fieldLabel(t, f, (p) => fieldText(t, p))} · {typeName(t, f.type)}
            </option>
          ))}
        </optgroup>
      ))}
      <option value={OTHER}>{t('fieldPicker.other')}</option>
    </select>
  );
}

function LeafView({ node, ctx }: { node: BuilderLeaf; ctx: Ctx }) {
  const { t } = useTranslation();
  const info = ctx.fields.find((f) => f.path === node.field);
  const ops = operatorsFor(info?.type);
  const opList: LeafOperator[] = ops.includes(node.operator) ? ops : [node.operator, ...ops];
  const set = (patch: Partial<BuilderLeaf>) => ctx.update(node.key, (n) => (n.kind === 'leaf' ? { ...n, ...patch } : n));
  return (
    <div className="cond-leaf" data-testid="cond-leaf">
      <FieldPicker
        value={node.field}
        fields={ctx.fields}
        onChange={(field) => {
          const to = ctx.fields.find((f) => f.path === field);
          const lit = node.value.kind === 'literal' ? node.value.value : undefined;
          const literal = node.value.kind === 'literal';
          // An aggregate or a segment picked on a rule whose value does not fit it starts on a value
          // that does: a time "more than 30 days ago", a count or money "≥ 0", a segment "is in it".
          if (to?.type === 'time' && to.agg && literal && !isAgo(lit)) set({ field, operator: 'lt', value: { kind: 'literal', value: { ago: '30d' } } });
          else if (to?.agg && isNumericType(to.type) && literal && typeof lit !== 'number')
            set({ field, operator: node.operator === 'eq' || !operatorsFor(to.type).includes(node.operator) ? 'gte' : node.operator, value: { kind: 'literal', value: 0 } });
          else if (field.startsWith('segment.') && to?.type === 'boolean' && literal && typeof lit !== 'boolean') set({ field, operator: 'eq', value: { kind: 'literal', value: true } });
          else set({ field });
        }}
      />
      <select
        value={node.operator}
        aria-label={t('cond.operator')}
        data-testid="cond-op"
        onChange={(e) => {
          const op = e.target.value as LeafOperator;
          set({ operator: op, value: reshapeValue(node.value, op, info?.type) });
        }}
      >
        {opList.map((op) => (
          <option key={op} value={op}>
            {t(`cond.ops.${op}`)}
          </option>
        ))}
      </select>
      <ValueEditor leaf={node} info={info} fields={ctx.fields} onChange={(value) => set({ value })} />
      <button
        type="button"
        title={t('cond.wrapNot')}
        onClick={() => ctx.update(node.key, (n) => newGroup('NOT', [n]))}
        data-testid="cond-negate"
      >
        {t('fieldPicker.negate')}
      </button>
      <button type="button" className="danger" onClick={() => ctx.update(node.key, () => null)} title={t('cond.remove')} data-testid="cond-remove">
        ✕
      </button>
    </div>
  );
}

/** `ago`: `{ "ago": "30d" }`, an instant counted back from the evaluation's time (docs/aggregates.md). */
type ScalarKind = 'string' | 'number' | 'boolean' | 'json' | 'field' | 'ago';

function scalarKind(v: LeafValue): ScalarKind {
  if (v.kind === 'field') return 'field';
  if (v.kind === 'absent') return 'json';
  if (isAgo(v.value)) return 'ago';
  if (typeof v.value === 'string') return 'string';
  if (typeof v.value === 'number') return 'number';
  if (typeof v.value === 'boolean') return 'boolean';
  return 'json';
}

function convertScalar(v: unknown, to: ScalarKind): unknown {
  switch (to) {
    case 'string':
      return v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
    case 'number': {
      const n = Number(v);
      return Number.isFinite(n) ? n : 0;
    }
    case 'boolean':
      return v === true || v === 'true';
    case 'ago':
      return isAgo(v) ? v : { ago: '30d' };
    default:
      return v ?? null;
  }
}

function ScalarInput(props: { value: unknown; kind: ScalarKind; info: FieldInfo | undefined; onChange: (v: unknown) => void; testId?: string }) {
  const { t } = useTranslation();
  switch (props.kind) {
    case 'string':
      return (
        <TextInput
          value={typeof props.value === 'string' ? props.value : ''}
          list={props.info?.values?.map(String)}
          onChange={props.onChange}
          testId={props.testId}
        />
      );
    case 'number':
      return (
        <NumberInput
          value={typeof props.value === 'number' ? props.value : undefined}
          min={props.info?.min}
          max={props.info?.max}
          onChange={(n) => props.onChange(n ?? 0)}
          testId={props.testId}
        />
      );
    case 'ago':
      return <AgoInput value={isAgo(props.value) ? props.value.ago : '30d'} onChange={(ago) => props.onChange({ ago })} testId={props.testId} />;
    case 'boolean':
      return (
        <select value={String(props.value === true)} onChange={(e) => props.onChange(e.target.value === 'true')} data-testid={props.testId}>
          <option value="true">{t('common.yes')}</option>
          <option value="false">{t('common.no')}</option>
        </select>
      );
    default:
      return <JsonEditor value={props.value} onChange={props.onChange} rows={1} testId={props.testId} />;
  }
}

/** "N 天前": a number and a unit (days, hours, minutes), written `{ "ago": "30d" }`; another text stays as typed. */
function AgoInput(props: { value: string; onChange: (ago: string) => void; testId?: string | undefined }) {
  const { t } = useTranslation();
  const w = parseWindow(props.value);
  if (!w) return <TextInput value={props.value} onChange={props.onChange} invalid testId={props.testId} />;
  return (
    <span className="cond-ago" data-testid={props.testId}>
      <NumberInput value={w.amount} integer min={0} onChange={(n) => props.onChange(`${n ?? 0}${w.unit}`)} testId="cond-ago-amount" />
      <select value={w.unit} aria-label={t('behaviour.window.unit')} data-testid="cond-ago-unit" onChange={(e) => props.onChange(`${w.amount}${e.target.value as WindowUnit}`)}>
        {WINDOW_UNITS.map((u) => (
          <option key={u} value={u}>
            {t(`behaviour.window.units.${u}`)}
          </option>
        ))}
      </select>
      <span>{t('behaviour.ago.suffix')}</span>
    </span>
  );
}

function defaultKind(info: FieldInfo | undefined): ScalarKind {
  if (isNumericType(info?.type)) return 'number';
  if (info?.type === 'boolean') return 'boolean';
  return 'string';
}

function ValueEditor(props: { leaf: BuilderLeaf; info: FieldInfo | undefined; fields: FieldInfo[]; onChange: (v: LeafValue) => void }) {
  const { t } = useTranslation();
  const { leaf, info, onChange } = props;
  const shape = OPERATOR_SHAPE[leaf.operator];
  const v = leaf.value;

  if (shape === 'bool') {
    return (
      <select
        value={v.kind === 'literal' && v.value === false ? 'false' : 'true'}
        data-testid="cond-value"
        onChange={(e) => onChange({ kind: 'literal', value: e.target.value === 'true' })}
      >
        <option value="true">{t('cond.exists.true')}</option>
        <option value="false">{t('cond.exists.false')}</option>
      </select>
    );
  }

  const value = v.kind === 'literal' ? v.value : undefined;
  // `ago` only with gt/gte/lt/lte (another operator is E_BAD_PARAM), offered on time fields.
  const agoOps = leaf.operator === 'gt' || leaf.operator === 'gte' || leaf.operator === 'lt' || leaf.operator === 'lte';
  const agoFits = shape === 'scalar' && agoOps && (info?.type === 'time' || isAgo(value));
  let kind = scalarKind(v);
  if (v.kind === 'literal' && Array.isArray(value) && shape !== 'scalar') {
    const kinds = new Set(value.map((x) => scalarKind({ kind: 'literal', value: x })));
    kind = value.length === 0 ? defaultKind(info) : kinds.size === 1 ? ([...kinds][0] as ScalarKind) : 'json';
  }
  const kindSelect = (
    <select
      className="cond-kind"
      value={kind}
      aria-label={t('cond.value')}
      data-testid="cond-value-kind"
      onChange={(e) => {
        const to = e.target.value as ScalarKind;
        if (to === 'field') onChange({ kind: 'field', field: props.fields[0]?.path ?? 'user.level', base: {} });
        else {
          const cur = v.kind === 'literal' ? v.value : undefined;
          if (shape === 'list') onChange({ kind: 'literal', value: (Array.isArray(cur) ? cur : [cur]).map((x) => convertScalar(x, to)) });
          else if (shape === 'pair') onChange({ kind: 'literal', value: (Array.isArray(cur) && cur.length === 2 ? cur : [cur, cur]).map((x) => convertScalar(x, to)) });
          else onChange({ kind: 'literal', value: convertScalar(cur, to) });
        }
      }}
    >
      <option value="string">{t('cond.valueType.string')}</option>
      <option value="number">{t('cond.valueType.number')}</option>
      {shape === 'scalar' ? <option value="boolean">{t('cond.valueType.boolean')}</option> : null}
      {agoFits ? <option value="ago">{t('behaviour.ago.kind')}</option> : null}
      <option value="json">{t('cond.valueType.json')}</option>
      <option value="field">{t('cond.compareField')}</option>
    </select>
  );

  if (v.kind === 'field') {
    return (
      <span className="cond-value">
        {kindSelect}
        <TextInput value={v.field} list={props.fields.map((f) => f.path)} onChange={(field) => onChange({ ...v, field })} testId="cond-value" />
      </span>
    );
  }

  if (shape === 'list' && Array.isArray(value)) {
    const elemKind: ScalarKind = kind === 'number' || kind === 'string' ? kind : 'json';
    return (
      <span className="cond-value">
        {kindSelect}
        {elemKind === 'json' ? (
          <JsonEditor value={value} onChange={(x) => onChange({ kind: 'literal', value: x })} rows={2} testId="cond-value" />
        ) : (
          <ListInput value={value as (string | number)[]} numeric={elemKind === 'number'} options={info?.values?.map(String)} onChange={(x) => onChange({ kind: 'literal', value: x })} />
        )}
      </span>
    );
  }

  if (shape === 'pair' && Array.isArray(value) && value.length === 2) {
    const k0 = scalarKind({ kind: 'literal', value: value[0] });
    const k1 = scalarKind({ kind: 'literal', value: value[1] });
    return (
      <span className="cond-value cond-pair">
        {kindSelect}
        <ScalarInput value={value[0]} kind={k0} info={info} onChange={(x) => onChange({ kind: 'literal', value: [x, value[1]] })} testId="cond-low" />
        <span>–</span>
        <ScalarInput value={value[1]} kind={k1} info={info} onChange={(x) => onChange({ kind: 'literal', value: [value[0], x] })} testId="cond-high" />
      </span>
    );
  }

  if (shape !== 'scalar') {
    // The shape does not fit the operator (a list for eq, a scalar for in): edit it as JSON.
    return (
      <span className="cond-value">
        <JsonEditor value={value ?? null} onChange={(x) => onChange({ kind: 'literal', value: x })} rows={1} testId="cond-value" />
      </span>
    );
  }

  return (
    <span className="cond-value">
      {kindSelect}
      <ScalarInput value={value} kind={kind} info={info} onChange={(x) => onChange({ kind: 'literal', value: x })} testId="cond-value" />
      {kind === 'ago' && isAgo(value) && agoOps ? (
        <span className="field-hint" data-testid="cond-ago-hint">
          {t(leaf.operator === 'lt' || leaf.operator === 'lte' ? 'behaviour.ago.before' : 'behaviour.ago.within', { span: agoSpan(t, value.ago) })}
        </span>
      ) : null}
    </span>
  );
}

/** A list of values, one per line; with known values, quick toggles. */
function ListInput(props: { value: (string | number)[]; numeric: boolean; options: string[] | undefined; onChange: (v: (string | number)[]) => void }) {
  const { t } = useTranslation();
  const toText = (v: (string | number)[]) => v.map(String).join('\n');
  const [text, setText] = useState(toText(props.value));
  const last = useRef(props.value);
  useEffect(() => {
    if (props.value !== last.current) {
      last.current = props.value;
      setText(toText(props.value));
    }
  }, [props.value]);
  const emit = (next: (string | number)[]) => {
    last.current = next;
    props.onChange(next);
  };
  const parse = (s: string) =>
    s
      .split('\n')
      .map((x) => x.trim())
      .filter((x) => x !== '')
      .map((x) => (props.numeric && Number.isFinite(Number(x)) ? Number(x) : x));
  const chosen = new Set(props.value.map(String));
  return (
    <span className="cond-list">
      <textarea
        rows={Math.min(6, Math.max(2, props.value.length))}
        value={text}
        placeholder={t('cond.listHint')}
        data-testid="cond-value"
        onChange={(e) => {
          setText(e.target.value);
          emit(parse(e.target.value));
        }}
      />
      {props.options && props.options.length <= 24 ? (
        <span className="chips">
          {props.options.map((o) => (
            <button
              key={o}
              type="button"
              className={chosen.has(o) ? 'chip on' : 'chip'}
              onClick={() => {
                const next = chosen.has(o) ? props.value.filter((x) => String(x) !== o) : [...props.value, props.numeric ? Number(o) : o];
                setText(toText(next));
                emit(next);
              }}
            >
              {o}
            </button>
          ))}
        </span>
      ) : null}
    </span>
  );
}

/** "30 天" / "30 days" for a hint, or the text as written. */
function agoSpan(t: TFunction, ago: string): string {
  const w = parseWindow(ago);
  return w ? t(`behaviour.window.span_${w.unit}`, { count: w.amount }) : ago;
}
