import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { act, cleanup, render, screen } from '@testing-library/react';
import { initI18n, setLang } from '../i18n';
import { SummaryCards, offersOption } from '../views/Charts';
import { SimSummaryCard } from '../views/ReviewView';
import { setDisplayCurrency } from '../model/format';
import type { Report } from '../model/types';

const report = {
  input: { users: 20000, events: 91234, skipped_lines: 0 },
  journeys: { cart: { entered: 1200, skipped: {}, exited: {}, nodes: {} } },
  offers: { c100: { issued: 300, rejected: { stock: 5 }, redeemed: 40, expired: 0 } },
  campaigns: {},
  touches: { sent: {}, suppressed: {}, deferred: 0 },
  conversions: { count: 451, revenue: '50000', attributed: 43, attributed_revenue: '14854.5' },
  cost: '460',
  roi: 31.29,
} as unknown as Report;

beforeAll(() => {
  initI18n();
});
afterEach(cleanup);

describe('every figure says what it is', () => {
  it('zh: money in ¥, what the denominator counts, a tooltip with the formula', async () => {
    await act(async () => setLang('zh'));
    setDisplayCurrency('CNY');
    render(<SummaryCards report={report} />);
    const conv = screen.getByTestId('card-conversions');
    expect(conv.textContent).toContain('43 / 451');
    // the denominator is named
    expect(conv.textContent).toContain('样本中全部转化');
    expect(conv.getAttribute('title')).toContain('样本中共 451 次转化事件');
    expect(conv.getAttribute('title')).toContain('其余 408 次');
    expect(screen.getByTestId('card-revenue').textContent).toContain('¥14,854.50');
    expect(screen.getByTestId('card-cost').textContent).toContain('¥460');
    expect(screen.getByTestId('card-cost').getAttribute('title')).toContain('核销');
    expect(screen.getByTestId('card-users').textContent).toContain('20,000');
    expect(screen.getByTestId('card-entered').textContent).toContain('人次');
  });

  it('en: the same figures, labelled in English', async () => {
    await act(async () => setLang('en'));
    render(<SummaryCards report={report} />);
    expect(screen.getByTestId('card-conversions').textContent).toContain('all in the sample');
    expect(screen.getByTestId('card-revenue').textContent).toContain('¥14,854.50');
  });

  it('the approver reads the release summary with units and named parts', async () => {
    await act(async () => setLang('zh'));
    const summary = {
      schema: 'trellis/sim-summary@1',
      simulated_at: '2026-12-05T19:13:23Z',
      data: { source: 'generated', users: 300, days: 7, seed: 1 },
      input: { users: 300, events: 4000 },
      journeys: { cart: { entered: 120, exited: {} } },
      offers: { c100: { issued: 30, rejected: { budget: 2 } } },
      campaigns: { q4: { budget: '150000', spent: '460', reserved: '0', remaining: '149540', exhausted_at: null } },
      touches: { sent: {}, suppressed: {}, deferred: 0 },
      conversions: { count: 451, attributed: 43, attributed_revenue: '14854.5' },
      cost: '460',
      roi: 1.5,
    };
    render(<SimSummaryCard summary={summary} />);
    const text = screen.getByTestId('release-sim-summary').textContent ?? '';
    expect(text).toContain('¥460');
    expect(text).toContain('已花费 ¥460 / 预算 ¥150,000');
    expect(text).toContain('归因于旅程 / 样本中全部转化');
    // a rejection reason in words, not its code
    expect(text).toContain('预算不足');
    // 451 conversions among 300 users: the approver is told they are orders, not people; ROI 150% is plausible
    expect(screen.getByTestId('implausible-conversions').textContent).toContain('转化 451 次，多于样本中的 300 位用户');
    expect(screen.queryByTestId('implausible-roi')).toBeNull();
    cleanup();
    render(<SimSummaryCard summary={{ ...summary, conversions: { count: 451, attributed: 130, attributed_revenue: '1274000' }, roi: 2768.565 }} />);
    expect(screen.getByTestId('implausible-roi').textContent).toContain('不可信：归因 ROI 276856.5%');
    expect(screen.getByTestId('implausible-attributed').textContent).toContain('归因转化 130 次，多于进入旅程的 120 人次');
  });

  it('the offers chart names offers, not ids', () => {
    const opt = offersOption(report, (k) => k, { c100: '满100减20' }) as unknown as { yAxis: { data: string[] } };
    expect(opt.yAxis.data).toEqual(['满100减20']);
    const raw = offersOption(report, (k) => k) as unknown as { yAxis: { data: string[] } };
    expect(raw.yAxis.data).toEqual(['c100']);
  });
});
