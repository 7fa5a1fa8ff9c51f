// What the identity the app acts as may do with a release, and why not: the review view disables
// a button with its reason instead of letting the engine refuse the click.

import type { Identity } from '../backend';

export type Blocker =
  /** You wrote it; on the bundled engine you can switch to its reviewer. */
  | { reason: 'own'; canSwitch: boolean }
  /** Your role may not (approve or deploy: approver or admin; submit: operator or admin). */
  | { reason: 'role'; role: string; canSwitch: boolean };

const mayReview = (role: string | null) => role === null || role === 'approver' || role === 'admin';
const maySubmit = (role: string | null) => role === null || role === 'operator' || role === 'admin';

/** Why `identity` may not approve a release by `author` (null: it may, or the app cannot tell). */
export function approveBlocker(identity: Identity | null, author: string): Blocker | null {
  if (!identity) return null;
  if (identity.name !== null && identity.name === author) return { reason: 'own', canSwitch: identity.can_switch };
  if (!mayReview(identity.role)) return { reason: 'role', role: identity.role ?? '', canSwitch: identity.can_switch };
  return null;
}

/** Why `identity` may not deploy or roll back. */
export function deployBlocker(identity: Identity | null): Blocker | null {
  if (!identity || mayReview(identity.role)) return null;
  return { reason: 'role', role: identity.role ?? '', canSwitch: identity.can_switch };
}

/** Why `identity` may not submit a release (the bundled reviewer is an approver only). */
export function submitBlocker(identity: Identity | null): Blocker | null {
  if (!identity || maySubmit(identity.role)) return null;
  return { reason: 'role', role: identity.role ?? '', canSwitch: identity.can_switch };
}
