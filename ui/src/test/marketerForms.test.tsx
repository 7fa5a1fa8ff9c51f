import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { initI18n, setLang } from '../i18n';
import { ConditionBuilder } from '../panels/ConditionBuilder';
import { NodeForm } from '../panels/NodeForm';
import { JourneyPanel } from '../panels/JourneyPanel';
import { fieldCatalog } from '../model/condition';
import { fromZonedInput, toZonedInput, zoneOffsetMinutes } from '../model/format';
import { labelSuggestion } from '../model/labels';
import { editorStore } from '../store/editor';
import type { Journey } from '../model/types';

beforeAll(() => {
  initI18n();
});
beforeEach(async () => {
  await act(async () => setLang('zh'));
});
afterEach(cleanup);

describe('campaign dates in the policy zone', () => {
  it('reads and writes local times of Asia/Shanghai, not UTC', () => {
    expect(zoneOffsetMinutes(Date.UTC(2026, 10, 1), 'Asia/Shanghai')).toBe(480);
    expect(fromZonedInput('2026-11-01T00:00', 'Asia/Shanghai')).toBe('2026-11-01T00:00:00+08:00');
    expect(new Date('2026-11-01T00:00:00+08:00').toISOString()).toBe('2026-10-31T16:00:00.000Z');
    expect(toZonedInput('2026-10-31T16:00:00Z', 'Asia/Shanghai')).toBe('2026-11-01T00:00');
    expect(fromZonedInput('2026-11-01T00:00', 'UTC')).toBe('2026-11-01T00:00:00Z');
    // a zone with summer time: the offset of that date
    expect(fromZonedInput('2026-07-01T09:30', 'Europe/Berlin')).toBe('2026-07-01T09:30:00+02:00');
    expect(fromZonedInput('2026-12-01T09:30', 'Europe/Berlin')).toBe('2026-12-01T09:30:00+01:00');
    expect(fromZonedInput('yesterday', 'UTC')).toBeNull();
  });

  it('the campaign form writes what the marketer enters as Beijing time', () => {
    editorStore.getState().loadTemplate('welcome');
    const s = editorStore.getState();
    const j = s.doc.journeys[s.active] as Journey & { campaign?: Record<string, unknown> };
    expect(s.doc.policy.tz).toBe('Asia/Shanghai');
    expect(j.campaign).toBeTruthy();
    render(<JourneyPanel />);
    const input = screen.getByTestId('campaign-starts') as HTMLInputElement;
    expect(input.type).toBe('datetime-local');
    expect(screen.getAllByText('北京时间').length).toBeGreaterThan(0);
    fireEvent.change(input, { target: { value: '2026-11-01T00:00' } });
    const after = editorStore.getState().doc.journeys[editorStore.getState().active] as Journey & { campaign?: Record<string, unknown> };
    expect(after.campaign?.starts_at).toBe('2026-11-01T00:00:00+08:00');
  });
});

describe('fields picked from a list, negation in words', () => {
  it('names fields in words with their type; "other" types a path', () => {
    const emitted: unknown[] = [];
    render(<ConditionBuilder value={{ field: 'user.register_days', operator: 'lte', value: 3 }} onChange={(v) => emitted.push(v)} fields={fieldCatalog({})} />);
    const pick = screen.getByTestId('cond-field-pick') as HTMLSelectElement;
    expect(pick.value).toBe('user.register_days');
    expect(pick.selectedOptions[0]?.textContent).toBe('注册天数 · 数字');
    fireEvent.change(pick, { target: { value: 'user.cart_amount' } });
    expect(emitted.at(-1)).toMatchObject({ field: 'user.cart_amount' });
    // negation reads as words
    expect(screen.getByTestId('cond-negate').textContent).toBe('不满足');
    fireEvent.change(pick, { target: { value: '\u0000other' } });
    expect(screen.getByTestId('cond-field')).toBeTruthy();
  });
});

describe('labels that follow their numbers', () => {
  it('offers the label with the new number when the one it quotes is gone', () => {
    expect(labelSuggestion('购物车≥100元', { when: { field: 'user.cart_amount', operator: 'gte', value: 200 } })).toEqual({ stale: '100', fresh: '200', label: '购物车≥200元' });
    expect(labelSuggestion('购物车≥100元', { when: { field: 'user.cart_amount', operator: 'gte', value: 100 } })).toBeNull();
    expect(labelSuggestion('等待1天', { duration: '2d' })).toMatchObject({ label: '等待2天' });
    // not clear which became which: no offer
    expect(labelSuggestion('满100减20', { offer: 'c20' })).toBeNull();
    expect(labelSuggestion(undefined, { duration: '2d' })).toBeNull();
  });

  it('the node form prompts, and renames in one click', () => {
    editorStore.getState().newWorkspace();
    const id = editorStore.getState().addNode('wait.delay', { x: 0, y: 0 });
    const s = editorStore.getState();
    editorStore.getState().apply((d) => {
      const journeys = d.journeys.map((j, i) => (i !== s.active ? j : { ...j, nodes: j.nodes.map((n) => (n.id === id ? { ...n, label: '等待1天', params: { duration: '3d' } } : n)) }));
      return { ...d, journeys };
    });
    const node = () => (editorStore.getState().doc.journeys[s.active] as Journey).nodes.find((n) => n.id === id)!;
    const { rerender } = render(<NodeForm node={node()} journey={s.active} doc={editorStore.getState().doc} diags={[]} />);
    expect(screen.getByTestId('label-follow').textContent).toContain('名称里写的是 1');
    fireEvent.click(screen.getByTestId('label-follow-apply'));
    expect(node().label).toBe('等待3天');
    rerender(<NodeForm node={node()} journey={s.active} doc={editorStore.getState().doc} diags={[]} />);
    expect(screen.queryByTestId('label-follow')).toBeNull();
  });
});

describe('a template picker', () => {
  it('offers the templates the workspace uses; a new id is typed after "new template id…"', () => {
    editorStore.getState().newWorkspace();
    const a = editorStore.getState().addNode('action.touch', { x: 0, y: 0 });
    const s = editorStore.getState();
    const node = () => (editorStore.getState().doc.journeys[s.active] as Journey).nodes.find((n) => n.id === a)!;
    render(<NodeForm node={node()} journey={s.active} doc={editorStore.getState().doc} diags={[]} />);
    const pick = screen.getByTestId('param-template-pick') as HTMLSelectElement;
    const template = String(node().params.template);
    expect([...pick.options].map((o) => o.value)).toContain(template);
    fireEvent.change(pick, { target: { value: '\u0000other' } });
    fireEvent.change(screen.getByTestId('param-template'), { target: { value: 'cart_reminder_v2' } });
    expect(node().params.template).toBe('cart_reminder_v2');
  });
});

describe('WeChat channels in a touch', () => {
  it('both can be added, named in Chinese, each saying who it reaches', () => {
    editorStore.getState().newWorkspace();
    const a = editorStore.getState().addNode('action.touch', { x: 0, y: 0 });
    const s = editorStore.getState();
    const node = () => (editorStore.getState().doc.journeys[s.active] as Journey).nodes.find((n) => n.id === a)!;
    const { rerender } = render(<NodeForm node={node()} journey={s.active} doc={editorStore.getState().doc} diags={[]} />);
    const mp = screen.getByTestId('add-channel-miniprogram');
    expect(mp.textContent).toContain('小程序订阅消息');
    expect(mp.getAttribute('title')).toContain('consent.miniprogram 必须为 true');
    expect(screen.getByTestId('add-channel-wechat').getAttribute('title')).toContain('contact.wechat_openid');
    const before = (node().params.channels as string[]).length;
    fireEvent.click(mp);
    expect(node().params.channels).toHaveLength(before + 1);
    expect((node().params.channels as string[]).at(-1)).toBe('miniprogram');
    rerender(<NodeForm node={node()} journey={s.active} doc={editorStore.getState().doc} diags={[]} />);
    expect(screen.getByTestId('channel-miniprogram').textContent).toContain('小程序订阅消息');
    expect(screen.queryByTestId('add-channel-miniprogram')).toBeNull();
  });
});
