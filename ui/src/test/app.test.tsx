import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { initI18n, setLang } from '../i18n';
import { App } from '../App';
import { editorStore } from '../store/editor';
import { sessionStore } from '../store/session';

beforeAll(() => {
  initI18n();
  setLang('en');
});
afterEach(cleanup);

describe('the app without an engine', () => {
  it('edits on the canvas and shows the connect state on server views', async () => {
    sessionStore.getState().setBackend(null);
    editorStore.getState().loadTemplate('welcome');
    render(<App />);
    expect(screen.getByTestId('palette')).toBeTruthy();
    expect(screen.getByTestId('diag-status').textContent).toContain('connect');
    const before = editorStore.getState().doc.journeys[0]!.nodes.length;
    fireEvent.click(screen.getByTestId('palette-action.points'));
    expect(editorStore.getState().doc.journeys[0]!.nodes.length).toBe(before + 1);
    // the new node is selected and its form is shown
    expect(screen.getByTestId('param-amount')).toBeTruthy();
    fireEvent.click(screen.getByTestId('undo'));
    expect(editorStore.getState().doc.journeys[0]!.nodes.length).toBe(before);

    for (const view of ['simulate', 'review', 'monitor']) {
      fireEvent.click(screen.getByTestId(`view-${view}`));
      expect(screen.getByTestId('connect-engine')).toBeTruthy();
    }
    fireEvent.click(screen.getByTestId('connect-engine-button'));
    expect(screen.getByTestId('engine-settings')).toBeTruthy();
  });

  it('switches language', async () => {
    render(<App />);
    await act(async () => {
      fireEvent.change(screen.getByTestId('lang'), { target: { value: 'zh' } });
    });
    expect(screen.getByTestId('view-design').textContent).toBe('画布设计');
    await act(async () => {
      fireEvent.change(screen.getByTestId('lang'), { target: { value: 'en' } });
    });
    expect(screen.getByTestId('view-design').textContent).toBe('Design');
  });
});
