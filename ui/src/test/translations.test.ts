// Fails when the engine writes a diagnostic code, a decision kind or a reason the UI has no words
// for: the lists are read from the Rust sources that define them.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { i18n, initI18n } from '../i18n';
import { DIAG_CODES, diagText } from '../model/diagText';
import { CHANNEL_NAMES, DECISION_KINDS, REASONS, channelText, durationText, kindText, reasonText } from '../model/vocab';
import { CHANNELS, NODE_TYPES, type Workspace } from '../model/types';
import { specPorts } from '../model/nodeTypes';

const root = resolve(__dirname, '../../..');
const read = (p: string) => readFileSync(resolve(root, p), 'utf8');

beforeAll(() => {
  initI18n();
});

/** The diagnostic codes of trellis-model's `Code` enum (its serde names). */
function rustDiagCodes(): string[] {
  const src = read('crates/trellis-model/src/diag.rs');
  const body = src.slice(src.indexOf('pub enum Code'), src.indexOf('impl Code'));
  return [...body.matchAll(/rename = "([EW]_[A-Z_]+)"/g)].map((m) => m[1]!);
}

/** DecisionKind::NAMES and the string of every `reasons!` variant in log.rs. */
function rustLog(): { kinds: string[]; reasons: string[] } {
  const src = read('crates/trellis-engine/src/engine/log.rs');
  const names = src.slice(src.indexOf('pub const NAMES'), src.indexOf('];', src.indexOf('pub const NAMES')));
  const kinds = [...names.matchAll(/"([a-z_.]+)"/g)].map((m) => m[1]!);
  const reasons: string[] = [];
  for (const block of src.split('reasons!(').slice(1)) {
    const body = block.slice(0, block.indexOf(');'));
    for (const m of body.matchAll(/=\s*"([a-z_]+)"/g)) reasons.push(m[1]!);
  }
  return { kinds, reasons };
}

/** The names of trellis-model's `Channel::ALL`, in order. */
function rustChannels(): string[] {
  const src = read('crates/trellis-model/src/doc.rs');
  const from = src.indexOf('impl Channel {');
  const body = src.slice(from, src.indexOf('pub fn names()', from));
  return [...body.matchAll(/Channel::\w+ => "([a-z]+)"/g)].map((m) => m[1]!);
}

/** trellis-model's `NODE_TYPES` (doc.rs), in order. */
function rustNodeTypes(): string[] {
  const src = read('crates/trellis-model/src/doc.rs');
  const from = src.indexOf('pub const NODE_TYPES');
  const body = src.slice(from, src.indexOf('];', from));
  return [...body.matchAll(/"([a-z_.]+)"/g)].map((m) => m[1]!);
}

describe('every engine word has a translation', () => {
  it('the node types are the engine’s, each named and its ports worded in zh and en', () => {
    expect(rustNodeTypes()).toContain('gate.uplift');
    expect([...NODE_TYPES].sort()).toEqual(rustNodeTypes().sort());
    for (const lng of ['zh', 'en'] as const) {
      for (const type of NODE_TYPES) {
        expect(i18n.exists(`nodeTypes.${type}`, { lng }), `${lng} nodeTypes.${type}`).toBe(true);
        for (const port of specPorts({ type, params: {} })) expect(i18n.exists(`ports.${port}`, { lng }), `${lng} ports.${port}`).toBe(true);
      }
    }
    expect(i18n.getFixedT('zh')('nodeTypes.gate.uplift')).toMatch(/[\u4e00-\u9fff]/);
  });

  it('the lists here are the engine’s lists', () => {
    expect(rustDiagCodes().sort()).toEqual([...DIAG_CODES].sort());
    const log = rustLog();
    expect(log.kinds.length).toBeGreaterThan(10);
    expect(log.kinds.sort()).toEqual([...DECISION_KINDS].sort());
    expect(log.reasons.length).toBeGreaterThan(10);
    for (const r of log.reasons) expect(REASONS as readonly string[]).toContain(r);
    for (const c of CHANNELS) expect(CHANNEL_NAMES as readonly string[]).toContain(c);
    // every channel the engine knows can be picked (touch nodes, caps) and has a name
    expect(rustChannels()).toContain('miniprogram');
    expect([...CHANNELS]).toEqual(rustChannels());
    expect([...CHANNEL_NAMES].sort()).toEqual(rustChannels().sort());
  });

  for (const lng of ['zh', 'en'] as const) {
    it(`${lng}: codes, kinds, reasons, channels, statuses, units`, () => {
      const t = i18n.getFixedT(lng);
      for (const code of rustDiagCodes()) {
        expect(i18n.exists(`diagText.${code}`, { lng }), `diagText.${code}`).toBe(true);
        expect(i18n.exists(`diag.codes.${code}`, { lng }), `diag.codes.${code}`).toBe(true);
      }
      for (const k of rustLog().kinds) expect(i18n.exists(`vocab.kinds.${k}`, { lng }), k).toBe(true);
      for (const r of rustLog().reasons) expect(i18n.exists(`reasons.${r}`, { lng }) || i18n.exists(`vocab.reasons.${r}`, { lng }), r).toBe(true);
      for (const c of CHANNEL_NAMES) expect(i18n.exists(`vocab.channels.${c}`, { lng }), c).toBe(true);
      for (const c of CHANNEL_NAMES) expect(i18n.exists(`vocab.channelReach.${c}`, { lng }), c).toBe(true);
      for (const s of ['pending_review', 'approved', 'rejected', 'deployed', 'superseded', 'rolled_back']) {
        expect(i18n.exists(`review.statuses.${s}`, { lng }), s).toBe(true);
      }
      for (const u of ['s', 'm', 'h', 'd']) expect(i18n.exists(`vocab.unitNames.${u}`, { lng }), u).toBe(true);
      if (lng === 'zh') {
        // and it is Chinese, not the English left in place
        for (const k of rustLog().kinds) expect(kindText(t, k)).toMatch(/[\u4e00-\u9fff]/);
        for (const r of rustLog().reasons) expect(reasonText(t, r), r).toMatch(/[\u4e00-\u9fff]/);
        for (const c of CHANNEL_NAMES.filter((c) => c !== 'webhook')) expect(channelText(t, c)).toMatch(/[\u4e00-\u9fff]/);
      }
    });
  }
});

describe('diagnostics in words', () => {
  const doc: Workspace = {
    schema: 'trellis/workspace@1',
    offers: [],
    policy: {},
    journeys: [
      {
        id: 'cart',
        nodes: [
          { id: 't', type: 'trigger.event', params: { event: 'cart_add' } },
          { id: 'c_1', type: 'condition', label: '购物车≥100元', params: {} },
          { id: 'w', type: 'wait.delay', params: { duration: '1d' } },
        ],
        edges: [{ from: 't', port: 'out', to: 'c_1' }],
      },
    ],
  };

  it('zh: a code becomes a sentence naming the node by its label, not its id and pointer', () => {
    const t = i18n.getFixedT('zh');
    const text = diagText(t, { severity: 'error', code: 'E_UNREACHABLE', journey: 'cart', node: 'c_1', path: '/journeys/0/nodes/1', message: 'no trigger leads to node "c_1"; connect it or delete it' }, doc);
    expect(text).toBe('没有触发节点能到达“购物车≥100元”：把它连进流程，或删除它。');
    expect(text).not.toContain('/journeys');
    // an unlabelled node by its kind and id; a port by its name
    const port = diagText(t, { severity: 'warning', code: 'W_UNCONNECTED_PORT', journey: 'cart', node: 'w', message: 'port "out" of node "w" has no edge' }, doc);
    expect(port).toBe('“等待时长 w”的出口“继续”没有连线：从这里出去的用户将离开旅程。');
    // a code the client does not know yet still shows the engine's words
    expect(diagText(t, { severity: 'error', code: 'E_NEW', message: 'something' }, doc)).toBe('E_NEW：something');
  });

  it('units and durations read in the language', () => {
    expect(durationText(i18n.getFixedT('zh'), '7d')).toBe('7 天');
    expect(durationText(i18n.getFixedT('zh'), '2h')).toBe('2 小时');
    expect(durationText(i18n.getFixedT('en'), '1d')).toBe('1 day');
    expect(durationText(i18n.getFixedT('en'), '90s')).toBe('90 seconds');
    expect(durationText(i18n.getFixedT('en'), 'P1D')).toBe('P1D');
  });
});
