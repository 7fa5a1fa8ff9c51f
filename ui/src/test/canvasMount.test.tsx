import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { act, cleanup, render } from '@testing-library/react';
import { ReactFlowProvider } from '@xyflow/react';
import { initI18n, setLang } from '../i18n';
import { JourneyCanvas, MOUNT_BATCH, mountSlice } from '../canvas/JourneyCanvas';
import type { Journey } from '../model/types';

beforeAll(() => {
  initI18n();
  setLang('en');
});
afterEach(cleanup);

function chain(n: number): Journey {
  const nodes = Array.from({ length: n }, (_, i) =>
    i === 0
      ? { id: 'n0', type: 'trigger.event', params: { event: 'app_open' }, position: { x: 0, y: 0 } }
      : { id: `n${i}`, type: 'wait.delay', params: { duration: '1h' }, position: { x: 260 * i, y: 0 } },
  );
  const edges = nodes.slice(1).map((node, i) => ({ from: `n${i}`, port: 'out', to: node.id }));
  return { id: 'big', nodes, edges };
}

describe('mounting a big journey in batches', () => {
  it('hands over every measured node and at most the budget of unmeasured ones, in order', () => {
    const ns = [{ id: 'a', measured: { width: 1 } }, { id: 'b' }, { id: 'c' }, { id: 'd', measured: { width: 1 } }, { id: 'e' }];
    expect(mountSlice(ns, 2).map((n) => n.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(mountSlice(ns, 0).map((n) => n.id)).toEqual(['a', 'd']);
    // a small addition goes on at once: the same array back
    expect(mountSlice(ns, 3)).toBe(ns);
  });

  it('draws a 300-node journey a batch per frame until all of it is there', { timeout: 60_000 }, async () => {
    const frames: FrameRequestCallback[] = [];
    const raf = window.requestAnimationFrame;
    window.requestAnimationFrame = (cb) => frames.push(cb);
    try {
      const { container } = render(
        <ReactFlowProvider>
          <JourneyCanvas journey={chain(300)} offers={[]} testId="c" />
        </ReactFlowProvider>,
      );
      const count = () => container.querySelectorAll('.react-flow__node').length;
      expect(count()).toBe(MOUNT_BATCH);
      const seen = [count()];
      for (let i = 0; i < 20 && count() < 300; i += 1) {
        await act(async () => {
          for (const cb of frames.splice(0)) cb(performance.now());
        });
        seen.push(count());
      }
      expect(count()).toBe(300);
      // and stays whole (happy-dom measures nothing: an unmeasured node is not taken off again)
      for (let i = 0; i < 3; i += 1) {
        await act(async () => {
          for (const cb of frames.splice(0)) cb(performance.now());
        });
        expect(count()).toBe(300);
      }
      // it grew a batch at a time, never backwards
      for (let i = 1; i < seen.length; i += 1) {
        expect(seen[i]! - seen[i - 1]!).toBeGreaterThanOrEqual(0);
        expect(seen[i]! - seen[i - 1]!).toBeLessThanOrEqual(MOUNT_BATCH);
      }
      expect(seen.length).toBeGreaterThanOrEqual(Math.ceil(300 / MOUNT_BATCH));
      // the edges come with their nodes
      expect(container.querySelectorAll('.react-flow__edge').length).toBeLessThanOrEqual(299);
    } finally {
      window.requestAnimationFrame = raf;
    }
  });
});

describe('a canvas that reads', () => {
  it('fits a short journey, centred, at no more than 100%', async () => {
    const { readableViewport } = await import('../canvas/fit');
    const v = readableViewport({ x: 0, y: 0, width: 600, height: 200 }, { width: 1000, height: 500 });
    expect(v.zoom).toBe(1);
    expect(v.x).toBe((1000 - 600) / 2);
    expect(v.y).toBe((500 - 200) / 2);
  });

  it('never fits below a readable zoom: a long journey opens at its start', async () => {
    const { readableViewport, MIN_READABLE_ZOOM } = await import('../canvas/fit');
    // 11 nodes in a row, 260 px apart, in an 860-px pane: a full fit would be about 0.3 (4-px text)
    const v = readableViewport({ x: 0, y: 0, width: 2860, height: 150 }, { width: 860, height: 420 });
    expect(v.zoom).toBe(MIN_READABLE_ZOOM);
    expect(13 * v.zoom).toBeGreaterThanOrEqual(11);
    // the left edge (the trigger) is in view, the rest pans
    expect(v.x).toBe(24);
    // the minimap's corner is kept free when it is shown
    const m = readableViewport({ x: 0, y: 0, width: 600, height: 200 }, { width: 800, height: 500 }, { reserveRight: 180 });
    expect(m.x + 600 * m.zoom).toBeLessThanOrEqual(800 - 180);
  });

  it('hides the minimap until asked, and shows it on the toggle', () => {
    const { container, getByTestId } = render(
      <ReactFlowProvider>
        <JourneyCanvas journey={chain(3)} offers={[]} testId="c" />
      </ReactFlowProvider>,
    );
    expect(container.querySelector('.react-flow__minimap')).toBeNull();
    act(() => getByTestId('c-minimap-toggle').click());
    expect(container.querySelector('.react-flow__minimap')).not.toBeNull();
  });

  it('a preview in a page does not zoom on the wheel until clicked', () => {
    const { getByTestId } = render(
      <ReactFlowProvider>
        <JourneyCanvas journey={chain(3)} offers={[]} testId="p" wheelZoomsOnlyWhenFocused />
      </ReactFlowProvider>,
    );
    const el = getByTestId('p');
    expect(el.getAttribute('data-focused')).toBe('false');
    expect(el.textContent).toContain('Click to zoom');
    act(() => {
      el.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true }));
    });
    expect(el.getAttribute('data-focused')).toBe('true');
  });
});
