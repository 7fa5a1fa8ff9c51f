// A condition as a sentence for a person: field names in words, operators as symbols or words,
// values by name ("注册天数 ≤ 3 且 注册渠道 属于 App/小程序"). For the approver's diff and
// anywhere a condition is read rather than edited.

import type { TFunction } from 'i18next';
import { isGroupOperator, isLeafOperator } from './condition';
import { isObject } from './nodeTypes';
import { isAgo, parseWindow } from './behaviour';

const SYMBOLS: Record<string, string> = { eq: '=', ne: '≠', gt: '>', gte: '≥', lt: '<', lte: '≤' };

/** A field path in words ("user.register_days" → 注册天数), else the path. */
export function fieldText(t: TFunction, path: string): string {
  // i18next reads dots as nesting: the names are kept under the path with dots as "·".
  return t(`sentence.fields.${path.replace(/\./g, '·')}`, { defaultValue: path });
}

/** A value in words: a known code by name ("mini_program" → 小程序), a field reference by name. */
export function valueWords(t: TFunction, v: unknown): string {
  if (isObject(v) && typeof v.field === 'string') return fieldText(t, v.field);
  if (isAgo(v)) {
    // `{ "ago": "30d" }` (docs/aggregates.md): "30 天前" / "30 days ago"
    const w = parseWindow(v.ago);
    return t('behaviour.ago.value', { span: w ? t(`behaviour.window.span_${w.unit}`, { count: w.amount }) : v.ago });
  }
  if (Array.isArray(v)) return v.map((x) => valueWords(t, x)).join('/');
  if (typeof v === 'string') return t(`sentence.values.${v}`, { defaultValue: v });
  if (typeof v === 'boolean') return t(v ? 'common.yes' : 'common.no');
  return JSON.stringify(v) ?? '';
}

/** The condition as a sentence (`t` decides the language). */
export function conditionSentence(t: TFunction, c: unknown): string {
  if (c === undefined || c === null) return t('sentence.always');
  if (isObject(c)) {
    if (isGroupOperator(c.operator) && Array.isArray(c.children)) {
      const parts = c.children.map((x) => {
        const s = conditionSentence(t, x);
        return isObject(x) && isGroupOperator(x.operator) && x.operator !== 'NOT' && x.children !== undefined && (x.children as unknown[]).length > 1 ? `(${s})` : s;
      });
      if (c.operator === 'NOT') return t('sentence.not', { cond: parts.join(t('sentence.and')) });
      return parts.join(t(c.operator === 'AND' ? 'sentence.and' : 'sentence.or'));
    }
    if (isLeafOperator(c.operator) && typeof c.field === 'string') {
      const field = fieldText(t, c.field);
      const op = c.operator;
      if (op === 'exists') return t(c.value === false ? 'sentence.missing' : 'sentence.exists', { field });
      if (op === 'between' && Array.isArray(c.value)) return t('sentence.between', { field, low: valueWords(t, c.value[0]), high: valueWords(t, c.value[1]) });
      const sym = SYMBOLS[op];
      if (sym) return `${field} ${sym} ${valueWords(t, c.value)}`;
      return t(`sentence.ops.${op}`, { field, value: valueWords(t, c.value) });
    }
  }
  return JSON.stringify(c) ?? '';
}
