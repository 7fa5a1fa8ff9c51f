// How figures and times read: money with its currency sign, counts grouped, times in the user's
// locale (zh-CN or en-US, 24-hour) and in the policy's time zone (the zone the journeys' quiet
// hours, schedules and campaign windows are read in), never the browser's US format in UTC.

import { i18n } from '../i18n';
import type { Workspace } from './types';

export type Locale = 'zh-CN' | 'en-US';

/** The locale of the UI language. */
export function currentLocale(lang: string | undefined = i18n.language): Locale {
  return lang?.startsWith('zh') ? 'zh-CN' : 'en-US';
}

/** The policy's zone of a document (the engine reads a missing `tz` as UTC). */
export function policyZone(doc: Pick<Workspace, 'policy'> | null | undefined): string {
  const tz = doc?.policy?.tz;
  return typeof tz === 'string' && validZone(tz) ? tz : 'UTC';
}

export function validZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

// The zone times are shown in, when a caller does not name one: the open document's policy zone
// (App keeps it in step).
let displayZone = 'UTC';
export function setDisplayZone(tz: string) {
  displayZone = validZone(tz) ? tz : 'UTC';
}
export function getDisplayZone(): string {
  return displayZone;
}

// The currency money is shown in when a caller does not name one: the open document's campaigns'.
let displayCurrency = 'CNY';
export function setDisplayCurrency(c: string) {
  displayCurrency = /^[A-Za-z]{3}$/.test(c) ? c.toUpperCase() : 'CNY';
}

/** The short name of a zone for a label ("北京时间" reads better than "Asia/Shanghai" in Chinese). */
export function zoneLabel(tz: string, locale: Locale = currentLocale()): string {
  if (locale === 'zh-CN' && (tz === 'Asia/Shanghai' || tz === 'Asia/Chongqing' || tz === 'PRC')) return '北京时间';
  return tz;
}

const dtf = new Map<string, Intl.DateTimeFormat>();
function formatter(locale: Locale, tz: string, withSeconds: boolean, withDate: boolean): Intl.DateTimeFormat {
  const key = `${locale}|${tz}|${withSeconds}|${withDate}`;
  let f = dtf.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, {
      timeZone: tz,
      ...(withDate ? { year: 'numeric', month: '2-digit', day: '2-digit' } : {}),
      hour: '2-digit',
      minute: '2-digit',
      ...(withSeconds ? { second: '2-digit' } : {}),
      hourCycle: 'h23',
    });
    dtf.set(key, f);
  }
  return f;
}

/**
 * A timestamp as "2026-12-06 11:13:23" (zh-CN) or "12/06/2026, 11:13:23" (en-US), 24-hour, in
 * `tz` (default: the display zone). Anything that does not read as a time comes back as it is.
 */
export function formatDateTime(ts: string | number | Date | undefined | null, opts: { tz?: string; locale?: Locale; seconds?: boolean; date?: boolean } = {}): string {
  if (ts === undefined || ts === null || ts === '') return '';
  const d = ts instanceof Date ? ts : new Date(ts);
  if (Number.isNaN(d.getTime())) return String(ts);
  const locale = opts.locale ?? currentLocale();
  const text = formatter(locale, opts.tz ?? displayZone, opts.seconds ?? true, opts.date ?? true).format(d);
  // zh-CN writes the date with slashes; the dash form is what Chinese business software shows.
  return locale === 'zh-CN' ? text.replace(/(\d{4})\/(\d{2})\/(\d{2})/, '$1-$2-$3') : text;
}

/** A decimal string or number as a number (0 when it does not read). */
export function toNumber(v: string | number | null | undefined): number {
  const n = typeof v === 'number' ? v : Number(v ?? 0);
  return Number.isFinite(n) ? n : 0;
}

const nf = new Map<string, Intl.NumberFormat>();
function numberFormat(locale: Locale, key: string, make: () => Intl.NumberFormat): Intl.NumberFormat {
  const k = `${locale}|${key}`;
  let f = nf.get(k);
  if (!f) {
    f = make();
    nf.set(k, f);
  }
  return f;
}

/** Money with its sign: "¥14,854.5" → "¥14,854.50" (two decimals unless whole; CNY by default). */
export function formatMoney(v: string | number | null | undefined, opts: { currency?: string; locale?: Locale } = {}): string {
  const locale = opts.locale ?? currentLocale();
  const currency = (opts.currency ?? displayCurrency).toUpperCase();
  const n = toNumber(v);
  const whole = Number.isInteger(n);
  let f: Intl.NumberFormat;
  try {
    f = numberFormat(locale, `money|${currency}|${whole}`, () =>
      new Intl.NumberFormat(locale, { style: 'currency', currency, currencyDisplay: 'narrowSymbol', minimumFractionDigits: whole ? 0 : 2, maximumFractionDigits: 2 }),
    );
  } catch {
    // Not an ISO 4217 code: the number and the code.
    return `${formatCount(n, { locale, decimals: 2 })} ${currency}`;
  }
  return f.format(n);
}

/** A count or amount, grouped ("14,854.5"), with at most `decimals` decimals. */
export function formatCount(v: number | string | null | undefined, opts: { locale?: Locale; decimals?: number } = {}): string {
  const locale = opts.locale ?? currentLocale();
  const d = opts.decimals ?? 0;
  return numberFormat(locale, `count|${d}`, () => new Intl.NumberFormat(locale, { maximumFractionDigits: d })).format(toNumber(v));
}

/** A share as a percentage with one decimal ("12.5%"). */
export function formatPercent(share: number | null | undefined, opts: { locale?: Locale } = {}): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return '—';
  const locale = opts.locale ?? currentLocale();
  return numberFormat(locale, 'pct', () => new Intl.NumberFormat(locale, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 })).format(share);
}

/** The currency of a document's campaigns (the first one named), CNY when none names one. */
export function docCurrency(doc: Pick<Workspace, 'journeys'> | null | undefined): string {
  for (const j of doc?.journeys ?? []) {
    const c = (j as { campaign?: { currency?: unknown } }).campaign?.currency;
    if (typeof c === 'string' && /^[A-Za-z]{3}$/.test(c)) return c.toUpperCase();
  }
  return 'CNY';
}

// ---- local date-times in a zone (campaign windows are entered in the policy's zone)

/** The offset of `tz` from UTC at `utcMs`, in minutes (+480 for Asia/Shanghai). */
export function zoneOffsetMinutes(utcMs: number, tz: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(utcMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((asUtc - Math.floor(utcMs / 1000) * 1000) / 60000);
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A timestamp as the value of a `datetime-local` input in `tz` ("2026-11-01T00:00"); '' when it does not read. */
export function toZonedInput(ts: string | undefined, tz: string): string {
  if (!ts) return '';
  const ms = new Date(ts).getTime();
  if (Number.isNaN(ms)) return '';
  const local = new Date(ms + zoneOffsetMinutes(ms, tz) * 60000);
  return `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}`;
}

/**
 * A `datetime-local` value read in `tz`, as RFC 3339 with that zone's offset
 * ("2026-11-01T00:00" in Asia/Shanghai → "2026-11-01T00:00:00+08:00"); null when it does not read.
 */
export function fromZonedInput(local: string, tz: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '00'].map(Number) as [number, number, number, number, number, number];
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  // The offset at the guessed instant, then again at the corrected one (a DST change between).
  let offset = zoneOffsetMinutes(wall, tz);
  offset = zoneOffsetMinutes(wall - offset * 60000, tz);
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  const zone = offset === 0 ? 'Z' : `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${pad(s)}${zone}`;
}
