// The view a journey opens at: fitted when it fits at a readable zoom, else at that zoom with its
// start (the triggers, on the left and top) in view and the rest reached by panning. A fit that
// went below it made node text about 4 px on an 11-node journey.

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}

/**
 * The lowest zoom a fit goes to: node titles are 13 px, so at 0.85 they read at 11 px; the
 * 11-px summaries and port labels at about 9.4 px.
 */
export const MIN_READABLE_ZOOM = 0.85;
export const MAX_FIT_ZOOM = 1;
const MARGIN = 24;

/**
 * The viewport that shows `bounds` (flow coordinates) in a pane of `size` pixels: centred and
 * fitted when it fits between `minZoom` and `maxZoom`; else at `minZoom`, aligned to the left or
 * top edge where it does not fit. `reserve` keeps pixels on the right free (the minimap).
 */
export function readableViewport(bounds: Rect, size: { width: number; height: number }, opts: { minZoom?: number; maxZoom?: number; reserveRight?: number } = {}): Viewport {
  const minZoom = opts.minZoom ?? MIN_READABLE_ZOOM;
  const maxZoom = opts.maxZoom ?? MAX_FIT_ZOOM;
  const width = Math.max(1, size.width - (opts.reserveRight ?? 0));
  const height = Math.max(1, size.height);
  const bw = Math.max(1, bounds.width);
  const bh = Math.max(1, bounds.height);
  const fit = Math.min((width - 2 * MARGIN) / bw, (height - 2 * MARGIN) / bh);
  const zoom = Math.min(maxZoom, Math.max(minZoom, fit));
  const w = bw * zoom;
  const h = bh * zoom;
  const x = w + 2 * MARGIN <= width ? (width - w) / 2 - bounds.x * zoom : MARGIN - bounds.x * zoom;
  const y = h + 2 * MARGIN <= height ? (height - h) / 2 - bounds.y * zoom : MARGIN - bounds.y * zoom;
  return { x, y, zoom };
}
