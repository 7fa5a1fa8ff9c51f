import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { initI18n } from '../i18n';
import { ConditionBuilder } from '../panels/ConditionBuilder';
import { fieldCatalog } from '../model/condition';

initI18n();
afterEach(cleanup);

const fields = fieldCatalog({});

function setup(value: unknown) {
  const emitted: unknown[] = [];
  const r = render(<ConditionBuilder value={value} onChange={(v) => emitted.push(v)} fields={fields} />);
  return { emitted, ...r };
}

describe('ConditionBuilder (component)', () => {
  it('shows groups and leaves of a nested condition without emitting anything', () => {
    const { emitted } = setup({ operator: 'AND', children: [{ field: 'user.city', operator: 'in', value: ['北京'] }, { operator: 'NOT', children: [{ field: 'user.level', operator: 'eq', value: 'gold' }] }] });
    expect(screen.getAllByTestId('cond-group')).toHaveLength(2);
    expect(screen.getAllByTestId('cond-leaf')).toHaveLength(2);
    expect(emitted).toEqual([]);
  });

  it('reshapes the value when the operator changes', () => {
    const { emitted } = setup({ field: 'user.level', operator: 'eq', value: 'gold' });
    fireEvent.change(screen.getByTestId('cond-op'), { target: { value: 'in' } });
    expect(emitted.at(-1)).toEqual({ field: 'user.level', operator: 'in', value: ['gold'] });
    fireEvent.change(screen.getByTestId('cond-op'), { target: { value: 'exists' } });
    expect(emitted.at(-1)).toEqual({ field: 'user.level', operator: 'exists', value: true });
  });

  it('adds rules, negates and removes, keeping unknown keys', () => {
    const { emitted } = setup({ operator: 'OR', note: 'keep', children: [{ field: 'now.hour', operator: 'gte', value: 8 }] });
    fireEvent.click(screen.getByTestId('cond-add-rule'));
    const added = emitted.at(-1) as { note: string; children: unknown[] };
    expect(added.note).toBe('keep');
    expect(added.children).toHaveLength(2);
    fireEvent.click(screen.getAllByTestId('cond-negate')[0]!);
    expect((emitted.at(-1) as { children: unknown[] }).children[0]).toEqual({ operator: 'NOT', children: [{ field: 'now.hour', operator: 'gte', value: 8 }] });
    fireEvent.click(screen.getAllByTestId('cond-remove')[1]!);
    expect((emitted.at(-1) as { children: unknown[] }).children).toHaveLength(1);
  });

  it('edits a number value as a number', () => {
    const { emitted } = setup({ field: 'event.amount', operator: 'gte', value: 50 });
    fireEvent.change(screen.getByTestId('cond-value'), { target: { value: '120' } });
    expect(emitted.at(-1)).toEqual({ field: 'event.amount', operator: 'gte', value: 120 });
  });

  it('switches to comparing with another field', () => {
    const { emitted } = setup({ field: 'event.amount', operator: 'gte', value: 50 });
    fireEvent.change(screen.getByTestId('cond-value-kind'), { target: { value: 'field' } });
    const out = emitted.at(-1) as { value: { field: string } };
    expect(typeof out.value.field).toBe('string');
  });
});
