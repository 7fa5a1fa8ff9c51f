import { describe, expect, it } from 'vitest';
import { docCurrency, formatCount, formatDateTime, formatMoney, formatPercent, policyZone } from '../model/format';
import { budgetPct, burnAxisMax, conversionOption } from '../views/Charts';
import type { Report } from '../model/types';

describe('times in the user locale and the policy zone', () => {
  const ts = '2026-12-05T19:13:23Z';
  it('reads zh-CN, 24-hour, in Asia/Shanghai', () => {
    expect(formatDateTime(ts, { locale: 'zh-CN', tz: 'Asia/Shanghai' })).toBe('2026-12-06 03:13:23');
  });
  it('reads en-US, 24-hour, not AM/PM, in the zone given', () => {
    expect(formatDateTime(ts, { locale: 'en-US', tz: 'Asia/Shanghai' })).toBe('12/06/2026, 03:13:23');
    expect(formatDateTime('2026-12-05T15:00:00Z', { locale: 'en-US', tz: 'UTC' })).toBe('12/05/2026, 15:00:00');
  });
  it('keeps what does not read as a time', () => {
    expect(formatDateTime('soon', { locale: 'zh-CN' })).toBe('soon');
    expect(formatDateTime(undefined)).toBe('');
  });
  it('takes the policy zone of a document, UTC when it has none or a bad one', () => {
    expect(policyZone({ policy: { tz: 'Asia/Shanghai' } })).toBe('Asia/Shanghai');
    expect(policyZone({ policy: {} })).toBe('UTC');
    expect(policyZone({ policy: { tz: 'Mars/Olympus' } })).toBe('UTC');
  });
});

describe('money and counts', () => {
  it('shows the currency sign and two decimals', () => {
    expect(formatMoney('14854.5', { locale: 'zh-CN', currency: 'CNY' })).toBe('¥14,854.50');
    expect(formatMoney(460, { locale: 'zh-CN', currency: 'CNY' })).toBe('¥460');
    expect(formatMoney('150000.00', { locale: 'en-US', currency: 'CNY' })).toBe('¥150,000');
    expect(formatMoney('12.3', { locale: 'en-US', currency: 'USD' })).toBe('$12.30');
  });
  it('groups counts and formats shares', () => {
    expect(formatCount(20000, { locale: 'zh-CN' })).toBe('20,000');
    expect(formatPercent(0.125, { locale: 'en-US' })).toBe('12.5%');
    expect(formatPercent(null)).toBe('—');
  });
  it('takes the currency of the first campaign that names one', () => {
    expect(docCurrency({ journeys: [{ id: 'a', nodes: [], edges: [] }, { id: 'b', nodes: [], edges: [], campaign: { id: 'c', budget: 1, currency: 'usd' } }] as never })).toBe('USD');
    expect(docCurrency({ journeys: [] })).toBe('CNY');
  });
});

describe('charts that read', () => {
  it('labels the revenue bar in full (14854.5 is not cut to 1485) with room on the axis', () => {
    const report = { conversions: { count: 451, attributed: 43, revenue: '0', attributed_revenue: '14854.5' }, cost: '460' } as unknown as Report;
    const opt = conversionOption(report, (k) => k) as unknown as {
      grid: { containLabel: boolean };
      xAxis: { max: number };
      series: { label: { formatter: (p: { value: number }) => string } }[];
    };
    expect(opt.grid.containLabel).toBe(true);
    expect(opt.xAxis.max).toBeGreaterThan(14854.5 * 1.8);
    const label = opt.series[0]!.label.formatter({ value: 14854.5 });
    expect(label.replace(/[^\d.]/g, '')).toBe('14854.50');
  });
  it('draws the budget as % used, with an axis that fits the spend', () => {
    expect(budgetPct(460, 150000)).toBeCloseTo(0.3067, 3);
    // 0.3% spent: the axis ends at 1%, not at 100% (a flat line at zero).
    expect(burnAxisMax(0.31)).toBe(1);
    expect(burnAxisMax(30)).toBe(50);
    // near or over the cap, the cap line (100%) is on the chart
    expect(burnAxisMax(90)).toBeGreaterThanOrEqual(100);
    expect(burnAxisMax(120)).toBeGreaterThanOrEqual(126);
  });
});
