// Primitives shared by the panels and views.

import { useEffect, useId, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { BackendError } from '../backend';
import { formatDateTime, fromZonedInput, toZonedInput, zoneLabel } from '../model/format';

/**
 * A labelled control. `group` is for composite editors (condition builder, lists): a <label>
 * would send every click inside it to the first input.
 */
export function Field(props: { label: ReactNode; children: ReactNode; hint?: ReactNode; error?: ReactNode; inline?: boolean; group?: boolean }) {
  const className = props.inline ? 'field field-inline' : 'field';
  const body = (
    <>
      <span className="field-label">{props.label}</span>
      {props.children}
      {props.hint ? <span className="field-hint">{props.hint}</span> : null}
      {props.error ? <span className="field-error">{props.error}</span> : null}
    </>
  );
  return props.group ? (
    <div className={className} role="group">
      {body}
    </div>
  ) : (
    <label className={className}>{body}</label>
  );
}

export function TextInput(props: {
  value: string;
  onChange: (v: string) => void;
  placeholder?: string;
  list?: string[];
  testId?: string;
  className?: string;
  invalid?: boolean;
}) {
  const listId = useId();
  return (
    <>
      <input
        type="text"
        className={`${props.className ?? ''} ${props.invalid ? 'invalid' : ''}`}
        value={props.value}
        placeholder={props.placeholder}
        data-testid={props.testId}
        list={props.list && props.list.length > 0 ? listId : undefined}
        onChange={(e) => props.onChange(e.target.value)}
      />
      {props.list && props.list.length > 0 ? (
        <datalist id={listId}>
          {props.list.map((v) => (
            <option key={v} value={v} />
          ))}
        </datalist>
      ) : null}
    </>
  );
}

/**
 * A number field that keeps what is typed until it parses (so "1." or "-" can be typed) and
 * reports only numbers. An empty field reports `undefined` when `optional`.
 */
export function NumberInput(props: {
  value: number | undefined;
  onChange: (v: number | undefined) => void;
  optional?: boolean;
  min?: number;
  max?: number;
  step?: number;
  integer?: boolean;
  testId?: string;
  placeholder?: string;
}) {
  const [text, setText] = useState(props.value === undefined ? '' : String(props.value));
  useEffect(() => {
    const parsed = text.trim() === '' ? undefined : Number(text);
    if (parsed !== props.value) setText(props.value === undefined ? '' : String(props.value));
    // Only follow outside changes (undo, another panel), not our own typing.
  }, [props.value]);
  return (
    <input
      type="number"
      value={text}
      min={props.min}
      max={props.max}
      step={props.step ?? (props.integer ? 1 : 'any')}
      placeholder={props.placeholder}
      data-testid={props.testId}
      onChange={(e) => {
        const v = e.target.value;
        setText(v);
        if (v.trim() === '') {
          if (props.optional) props.onChange(undefined);
          return;
        }
        const n = Number(v);
        if (Number.isFinite(n) && (!props.integer || Number.isInteger(n))) props.onChange(n);
      }}
    />
  );
}

/** Money: a JSON number or a decimal string (journey.md). Strings stay strings. */
export function MoneyInput(props: { value: number | string | undefined; onChange: (v: number | string | undefined) => void; optional?: boolean; testId?: string }) {
  const isString = typeof props.value === 'string';
  const [text, setText] = useState(props.value === undefined ? '' : String(props.value));
  useEffect(() => {
    if (String(props.value ?? '') !== text) setText(props.value === undefined ? '' : String(props.value));
  }, [props.value]);
  return (
    <input
      type="text"
      inputMode="decimal"
      value={text}
      data-testid={props.testId}
      className={text !== '' && !/^-?\d+(\.\d+)?$/.test(text) ? 'invalid' : ''}
      onChange={(e) => {
        const v = e.target.value.trim();
        setText(e.target.value);
        if (v === '') {
          if (props.optional) props.onChange(undefined);
          return;
        }
        if (!/^-?\d+(\.\d+)?$/.test(v)) return;
        props.onChange(isString ? v : Number(v));
      }}
    />
  );
}

const DURATION = /^(\d+)([smhd])$/;
const UNITS = ['s', 'm', 'h', 'd'] as const;

/** A duration string of the spec ("90s", "30m", "1h", "7d"). Anything else stays editable as text. */
export function DurationInput(props: { value: string | undefined; onChange: (v: string | undefined) => void; optional?: boolean; testId?: string }) {
  const { t } = useTranslation();
  const m = props.value === undefined ? null : DURATION.exec(props.value);
  if (props.value !== undefined && !m) {
    return <TextInput value={props.value} onChange={(v) => props.onChange(v === '' && props.optional ? undefined : v)} invalid testId={props.testId} />;
  }
  const amount = m ? Number(m[1]) : undefined;
  const unit = (m?.[2] as (typeof UNITS)[number] | undefined) ?? 'h';
  return (
    <span className="duration" data-testid={props.testId}>
      <NumberInput
        value={amount}
        integer
        min={0}
        optional={props.optional}
        onChange={(n) => props.onChange(n === undefined ? undefined : `${n}${unit}`)}
      />
      <select value={unit} onChange={(e) => props.onChange(`${amount ?? 1}${e.target.value}`)}>
        {UNITS.map((u) => (
          <option key={u} value={u}>
            {t(`vocab.unitNames.${u}`)}
          </option>
        ))}
      </select>
    </span>
  );
}

export function Select<T extends string>(props: { value: T; options: { value: T; label: string }[]; onChange: (v: T) => void; testId?: string }) {
  const known = props.options.some((o) => o.value === props.value);
  return (
    <select value={props.value} data-testid={props.testId} onChange={(e) => props.onChange(e.target.value as T)}>
      {!known ? <option value={props.value}>{props.value}</option> : null}
      {props.options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
    </select>
  );
}

/** Edit any JSON value as text; reports only text that parses. */
export function JsonEditor(props: { value: unknown; onChange: (v: unknown) => void; rows?: number; testId?: string }) {
  const { t } = useTranslation();
  const [text, setText] = useState(() => JSON.stringify(props.value, null, 2) ?? '');
  const [bad, setBad] = useState(false);
  useEffect(() => {
    let same = false;
    try {
      same = JSON.stringify(JSON.parse(text)) === JSON.stringify(props.value);
    } catch {
      same = false;
    }
    if (!same) {
      setText(JSON.stringify(props.value, null, 2) ?? '');
      setBad(false);
    }
  }, [props.value]);
  return (
    <div className="json-editor">
      <textarea
        rows={props.rows ?? 4}
        value={text}
        spellCheck={false}
        data-testid={props.testId}
        className={bad ? 'invalid' : ''}
        onChange={(e) => {
          setText(e.target.value);
          try {
            const v: unknown = JSON.parse(e.target.value);
            setBad(false);
            props.onChange(v);
          } catch {
            setBad(true);
          }
        }}
      />
      {bad ? <span className="field-error">{t('cond.badJson')}</span> : null}
    </div>
  );
}

export function EmptyState(props: { title: ReactNode; body?: ReactNode; action?: ReactNode; testId?: string }) {
  return (
    <div className="empty-state" data-testid={props.testId}>
      <div className="empty-title">{props.title}</div>
      {props.body ? <div className="empty-body">{props.body}</div> : null}
      {props.action ? <div className="empty-action">{props.action}</div> : null}
    </div>
  );
}

export function errorText(t: TFunction, e: unknown): string {
  if (e instanceof BackendError) {
    const key = `errors.${e.code}`;
    const known = t(key, { defaultValue: '' });
    return known || t('errors.unknown', { code: e.code, message: e.message });
  }
  return e instanceof Error ? e.message : String(e);
}

export function ErrorBanner(props: { error: unknown; testId?: string }) {
  const { t } = useTranslation();
  if (!props.error) return null;
  const detail = props.error instanceof BackendError && props.error.path ? ` (${props.error.path})` : '';
  return (
    <div className="banner banner-error" role="alert" data-testid={props.testId ?? 'error-banner'}>
      {errorText(t, props.error)}
      {detail}
    </div>
  );
}

export function Section(props: { title: ReactNode; children: ReactNode; actions?: ReactNode; className?: string }) {
  return (
    <section className={`section ${props.className ?? ''}`}>
      <div className="section-head">
        <h3>{props.title}</h3>
        {props.actions ? <div className="section-actions">{props.actions}</div> : null}
      </div>
      {props.children}
    </section>
  );
}

/** A timestamp in the UI's locale (24-hour) and the policy's time zone (model/format.ts). */
export function formatTime(ts: string | undefined | null, tz?: string): string {
  return formatDateTime(ts, tz ? { tz } : {});
}

/** ROI as a percentage with one decimal, or the "none" mark when there is no cost to divide by. */
export function roiText(t: TFunction, roi: number | null | undefined): string {
  return roi === null || roi === undefined ? t('common.none') : `${(roi * 100).toFixed(1)}%`;
}

/**
 * A figure: its label, value, and optionally what its parts are (`sub`, shown under it, e.g. what
 * a denominator counts) and how it is made (`hint`, its tooltip: the formula).
 */
export type CardSpec = [string, ReactNode] | [string, ReactNode, { hint?: string; sub?: ReactNode; testId?: string; warn?: boolean }];

/** A row of labelled figures (the simulation's summary, a release's summary). */
export function Cards(props: { cards: CardSpec[]; testId?: string }) {
  return (
    <div className="cards" data-testid={props.testId}>
      {props.cards.map(([k, v, more]) => (
        <div key={k} className={more?.warn ? 'card card-warn' : 'card'} title={more?.hint} data-testid={more?.testId}>
          <div className="card-label">
            {k}
            {more?.hint ? <span className="card-info" aria-label={more.hint}> ⓘ</span> : null}
          </div>
          <div className="card-value">{v}</div>
          {more?.sub ? <div className="card-sub">{more.sub}</div> : null}
        </div>
      ))}
    </div>
  );
}


/**
 * A date and time entered as a local time of the zone `tz` (the policy's), stored as RFC 3339 with
 * that zone's offset. A value that does not read as a time stays editable as text.
 */
export function ZonedDateTimeInput(props: { value: string | undefined; tz: string; onChange: (v: string | undefined) => void; testId?: string }) {
  const local = toZonedInput(props.value, props.tz);
  if (props.value && !local) {
    return <TextInput value={props.value} onChange={(v) => props.onChange(v === '' ? undefined : v)} invalid testId={props.testId} />;
  }
  return (
    <span className="zoned-input">
      <input
        type="datetime-local"
        value={local}
        data-testid={props.testId}
        onChange={(e) => {
          if (e.target.value === '') return props.onChange(undefined);
          const v = fromZonedInput(e.target.value, props.tz);
          if (v) props.onChange(v);
        }}
      />
      <span className="field-hint">{zoneLabel(props.tz)}</span>
    </span>
  );
}

/**
 * A value picked from the known ones (a select), or typed when it is new ("other…" switches to a
 * text field). For ids a marketer should not have to type: message templates and the like.
 */
export function PickOrType(props: { value: string; options: { value: string; label: string }[]; onChange: (v: string) => void; otherLabel: string; testId?: string }) {
  const known = props.options.some((o) => o.value === props.value);
  const [typing, setTyping] = useState(!known && props.value !== '');
  if (typing || props.options.length === 0) {
    return (
      <span className="pick-or-type">
        <TextInput value={props.value} list={props.options.map((o) => o.value)} onChange={props.onChange} testId={props.testId} />
        {props.options.length ? (
          <button type="button" className="link" onClick={() => setTyping(false)} data-testid={props.testId ? `${props.testId}-list` : undefined}>
            ☰
          </button>
        ) : null}
      </span>
    );
  }
  return (
    <select
      value={props.value}
      data-testid={props.testId ? `${props.testId}-pick` : undefined}
      onChange={(e) => {
        if (e.target.value === '\u0000other') setTyping(true);
        else props.onChange(e.target.value);
      }}
    >
      {props.value === '' ? <option value="" /> : null}
      {props.options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
      <option value={'\u0000other'}>{props.otherLabel}</option>
    </select>
  );
}
