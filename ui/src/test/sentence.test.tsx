import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { i18n, initI18n, setLang } from '../i18n';
import { conditionSentence } from '../model/sentence';
import { DiffView } from '../views/DiffView';
import type { Workspace } from '../model/types';

beforeAll(() => {
  initI18n();
});
afterEach(cleanup);

const cond = {
  operator: 'AND',
  children: [
    { field: 'user.register_days', operator: 'lte', value: 3 },
    { field: 'user.channel', operator: 'in', value: ['app', 'mini_program'] },
  ],
};

describe('conditions as sentences', () => {
  it('zh: field names, symbols for comparisons, words for the rest, values by name', () => {
    const t = i18n.getFixedT('zh');
    expect(conditionSentence(t, cond)).toBe('注册天数 ≤ 3 且 注册渠道属于 App/小程序');
    expect(conditionSentence(t, { operator: 'NOT', children: [{ field: 'user.tags', operator: 'contains', value: 'student' }] })).toBe('不满足（标签包含 student）');
    expect(conditionSentence(t, { operator: 'OR', children: [cond, { field: 'user.cart_amount', operator: 'gte', value: 100 }] })).toBe(
      '(注册天数 ≤ 3 且 注册渠道属于 App/小程序) 或 购物车金额 ≥ 100',
    );
    expect(conditionSentence(t, { field: 'user.age', operator: 'between', value: [18, 30] })).toBe('年龄介于 18 与 30');
    expect(conditionSentence(t, { field: 'user.city', operator: 'exists', value: false })).toBe('城市未填写');
    // a field the UI does not know keeps its path
    expect(conditionSentence(t, { field: 'user.vip_score', operator: 'gt', value: 5 })).toBe('user.vip_score > 5');
  });

  it('en: the same in English, never "lte"', () => {
    const t = i18n.getFixedT('en');
    const s = conditionSentence(t, cond);
    expect(s).toBe('days since sign-up ≤ 3 and sign-up channel is one of App/Mini program');
    expect(s).not.toContain('lte');
  });
});

function ws(days: number, face: number): Workspace {
  return {
    schema: 'trellis/workspace@1',
    offers: [{ id: 'c20', kind: 'coupon', face_value: face, name: '满100减20' }],
    policy: { tz: 'Asia/Shanghai' },
    journeys: [
      {
        id: 'welcome',
        name: '新人礼',
        nodes: [
          { id: 't', type: 'trigger.event', params: { event: 'register' }, position: { x: 0, y: 0 } },
          { id: 'c_1', type: 'condition', label: '新用户', params: { when: { ...cond, children: [{ field: 'user.register_days', operator: 'lte', value: days }, cond.children[1]] } }, position: { x: 300, y: 0 } },
          { id: 'o', type: 'action.offer', params: { offer: 'c20' }, position: { x: 600, y: 0 } },
        ],
        edges: [
          { from: 't', port: 'out', to: 'c_1' },
          { from: 'c_1', port: 'yes', to: 'o' },
        ],
      },
    ],
  };
}

describe("the approver's diff in words", () => {
  it('shows a changed condition as sentences, offers first, raw JSON behind a toggle', async () => {
    await act(async () => setLang('zh'));
    render(<DiffView before={ws(3, 20)} after={ws(7, 30)} />);
    const words = screen.getByTestId('words-c_1');
    expect(words.textContent).toContain('注册天数 ≤ 3 且 注册渠道属于 App/小程序');
    expect(words.textContent).toContain('注册天数 ≤ 7 且 注册渠道属于 App/小程序');
    expect(words.textContent).not.toContain('lte');
    // the node by its label
    expect(screen.getByTestId('change-c_1').textContent).toContain('新用户');
    // the offer change first, by name, with money
    const offers = screen.getByTestId('offer-changes');
    expect(offers.textContent).toContain('满100减20');
    expect(offers.textContent).toContain('¥20');
    expect(offers.textContent).toContain('¥30');
    expect(offers.compareDocumentPosition(screen.getByTestId('change-c_1')) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    // raw JSON on request
    expect(screen.getByTestId('diff-view').textContent).not.toContain('/params/when');
    fireEvent.click(screen.getByTestId('diff-raw'));
    expect(screen.getByTestId('diff-view').textContent).toContain('/params/when/children/0/value');
  });
});

describe('the policy and node bodies in words', () => {
  it('zh: caps, quiet hours and attribution as sentences in the diff; a condition node reads as a sentence', async () => {
    await act(async () => setLang('zh'));
    const before = ws(3, 20);
    const after = { ...ws(3, 20), policy: { tz: 'Asia/Shanghai', freq_caps: [{ channel: 'sms', max: 2, window: '7d' }], quiet_hours: { start: '22:00', end: '08:00', mode: 'defer' as const }, attribution: { window: '7d', model: 'last_touch' as const } } };
    render(<DiffView before={before} after={after} />);
    const text = screen.getByTestId('policy-changes').textContent ?? '';
    expect(text).toContain('短信：每 7 天 最多 2 次');
    expect(text).toContain('22:00–08:00（延后到结束时发送）');
    expect(text).toContain('末次触达，窗口 7 天');
    expect(text).not.toContain('{"');
    const { nodeSummary } = await import('../canvas/JourneyNode');
    const node = ws(3, 20).journeys[0]!.nodes[1]!;
    expect(nodeSummary(i18n.getFixedT('zh'), node)).toBe('注册天数 ≤ 3 且 注册渠道属于 App/小程序');
  });
});
