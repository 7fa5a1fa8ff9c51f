// The placement tester's canvas state (issue 19 part 5): whether its panel is open on the Design
// view, and the way the last answer took, drawn on the canvas of its journey. Not part of the
// document or its undo.

import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';

export interface PlacementHighlight {
  /** The journey's id (the answer's `journey`). */
  journey: string;
  /** The node that answered (or refused first). */
  node: string;
  /** The nodes on the way from the placement trigger to `node`. */
  nodes: string[];
}

export interface PlacementState {
  open: boolean;
  highlight: PlacementHighlight | null;
  setOpen(open: boolean): void;
  setHighlight(h: PlacementHighlight | null): void;
}

export const placementStore = createStore<PlacementState>()((set) => ({
  open: false,
  highlight: null,
  // Closing the tester takes its marks off the canvas.
  setOpen: (open) => set(open ? { open } : { open, highlight: null }),
  setHighlight: (highlight) => set({ highlight }),
}));

export function usePlacement<T>(selector: (s: PlacementState) => T): T {
  return useStore(placementStore, selector);
}
