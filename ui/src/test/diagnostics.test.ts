import { describe, expect, it } from 'vitest';
import { diagTarget, indexDiagnostics } from '../model/diagnostics';
import { TEMPLATES } from '../model/samples';
import { detectLang } from '../i18n';
import { en } from '../i18n/en';
import { zh } from '../i18n/zh';
import type { Workspace } from '../model/types';

const doc = JSON.parse(TEMPLATES.find((t) => t.id === 'winback')!.text) as Workspace;
const j0 = doc.journeys[0]!;

describe('diagnostic targets', () => {
  it('finds the node by id, by pointer, the edge, and the panels', () => {
    const node = j0.nodes[2]!.id;
    expect(diagTarget({ severity: 'error', code: 'E_BAD_PARAM', journey: j0.id, node }, doc)).toEqual({ area: 'node', journey: 0, node });
    expect(diagTarget({ severity: 'error', code: 'E_BAD_PARAM', path: '/journeys/0/nodes/2/params/duration' }, doc)).toEqual({ area: 'node', journey: 0, node });
    expect(diagTarget({ severity: 'error', code: 'E_DANGLING_EDGE', journey: j0.id, edge: 1 }, doc)).toEqual({ area: 'edge', journey: 0, edge: 1 });
    expect(diagTarget({ severity: 'error', code: 'E_SCHEMA', path: '/journeys/0/edges/3/to' }, doc)).toEqual({ area: 'edge', journey: 0, edge: 3 });
    expect(diagTarget({ severity: 'error', code: 'E_SCHEMA', path: '/journeys/0/campaign/budget' }, doc)).toEqual({ area: 'journey', journey: 0 });
    expect(diagTarget({ severity: 'error', code: 'E_SCHEMA', path: '/offers/1/face_value' }, doc).area).toBe('offers');
    expect(diagTarget({ severity: 'error', code: 'E_SCHEMA', path: '/policy/quiet_hours/start' }, doc).area).toBe('policy');
    expect(diagTarget({ severity: 'error', code: 'E_SCHEMA', path: '' }, doc).area).toBe('document');
  });

  it('indexes diagnostics per journey, node and edge, and counts them', () => {
    const idx = indexDiagnostics(
      [
        { severity: 'error', code: 'E_X', journey: j0.id, node: 'n1' },
        { severity: 'warning', code: 'W_X', journey: j0.id, node: 'n1' },
        { severity: 'error', code: 'E_Y', journey: j0.id, edge: 0 },
        { severity: 'warning', code: 'W_Z', path: '/policy/tz' },
      ],
      doc,
    );
    expect(idx.nodes.get(0)?.get('n1')?.map((d) => d.code)).toEqual(['E_X', 'W_X']);
    expect(idx.edges.get(0)?.get(0)?.map((d) => d.code)).toEqual(['E_Y']);
    expect([idx.errors, idx.warnings]).toEqual([2, 2]);
  });
});

describe('languages', () => {
  it('defaults to Chinese on a Chinese system and keeps a stored choice', () => {
    expect(detectLang('zh-CN', null)).toBe('zh');
    expect(detectLang('zh-TW', undefined)).toBe('zh');
    expect(detectLang('en-US', null)).toBe('en');
    expect(detectLang(undefined, null)).toBe('en');
    expect(detectLang('zh-CN', 'en')).toBe('en');
    expect(detectLang('en-US', 'zh')).toBe('zh');
  });

  it('has every English key in Chinese, none empty', () => {
    const walk = (a: unknown, b: unknown, path: string): string[] => {
      if (typeof a === 'string') return typeof b === 'string' && b.trim() !== '' ? [] : [path];
      return Object.keys(a as object).flatMap((k) => walk((a as Record<string, unknown>)[k], (b as Record<string, unknown> | undefined)?.[k], `${path}.${k}`));
    };
    expect(walk(en, zh, '')).toEqual([]);
  });
});
