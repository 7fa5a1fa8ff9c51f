// The engine's words for a person: decision kinds, reasons, channels and duration units, in the
// user's language. The lists are the engine's closed sets (trellis-engine's log.rs, the spec's
// channels); a test fails when one of them has no translation.

import type { TFunction } from 'i18next';

/** Every decision kind the log writes (DecisionKind::NAMES in trellis-engine/src/engine/log.rs). */
export const DECISION_KINDS = [
  'journey.entered',
  'journey.skipped',
  'journey.held_out',
  'journey.exited',
  'experiment.assigned',
  'offer.issued',
  'offer.rejected',
  'offer.reused',
  'offer.redeemed',
  'offer.expired',
  'touch.sent',
  'touch.suppressed',
  'touch.deferred',
  'touch.failed',
  'points.awarded',
  'profile.updated',
  'conversion',
  'consent.revoked',
] as const;

/** Every reason the log writes (the `reasons!` enums of log.rs), and the report's `deferred`. */
export const REASONS = [
  'rollout',
  'campaign_inactive',
  're_entry',
  'mutex',
  'global',
  'journey',
  'completed',
  'goal',
  'max_duration',
  'per_user_limit',
  'stock',
  'budget',
  'hourly_quota',
  'no_channel',
  'freq_cap',
  'quiet_hours',
  'paused',
  // the degrade switch, pacing and breakers (issue 18, docs/operations.md)
  'degraded',
  'throttled',
  'pacing',
  'breaker',
  'deferred',
  // a placement request answered none (NoAnswer, docs/decide.md); `deferred` is one of them too
  'timeout',
  'no_journey',
  'no_action',
  'held_out',
] as const;

export const CHANNEL_NAMES = ['push', 'sms', 'email', 'inbox', 'webhook', 'wechat', 'miniprogram'] as const;

export function kindText(t: TFunction, kind: string): string {
  return t(`vocab.kinds.${kind}`, { defaultValue: kind });
}

/** A reason: the report's wording (`reasons.*`), else this module's. */
export function reasonText(t: TFunction, reason: string): string {
  const r = t(`reasons.${reason}`, { defaultValue: '' });
  return r || t(`vocab.reasons.${reason}`, { defaultValue: reason });
}

export function channelText(t: TFunction, channel: string): string {
  return t(`vocab.channels.${channel}`, { defaultValue: channel });
}

/** Who a channel reaches: the contact it needs and the consent it reads. */
export function channelReachText(t: TFunction, channel: string): string {
  return t(`vocab.channelReach.${channel}`, { defaultValue: '' });
}

const DURATION = /^(\d+)([smhd])$/;

/** "7d" → "7 天" / "7 days"; anything else as it is. */
export function durationText(t: TFunction, v: unknown): string {
  if (typeof v !== 'string') return v === undefined || v === null ? '?' : String(v);
  const m = DURATION.exec(v);
  if (!m) return v;
  return t(`vocab.units.${m[2]}`, { count: Number(m[1]) });
}
