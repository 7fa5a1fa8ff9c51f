// Identity in the review flow: why a button is disabled for who you are (with the switch to the
// bundled reviewer or back when that is the way), and the confirmation before going live.

import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { LOCAL_REVIEW_NOTE, type DeployMode } from '../backend';
import type { Blocker } from '../model/identity';
import { sessionStore } from '../store/session';

/** The reason a button is disabled, and the switch that lifts it when there is one. */
export function BlockedReason(props: { blocker: Blocker | null; action: 'approve' | 'deploy' | 'submit' | 'control'; testId?: string }) {
  const { t } = useTranslation();
  const b = props.blocker;
  if (!b) return null;
  const text =
    b.reason === 'own'
      ? t(b.canSwitch ? 'identity.ownReleaseLocal' : 'identity.ownRelease')
      : t(`identity.needsRole.${props.action}`, { role: t(`identity.roles.${b.role}`, { defaultValue: b.role }) });
  const target = props.action === 'submit' ? 'author' : 'reviewer';
  return (
    <div className="action-reason" data-testid={props.testId ?? `${props.action}-reason`}>
      {text}{' '}
      {b.canSwitch ? (
        <button type="button" className="link" data-testid={`${props.action}-switch`} onClick={() => void sessionStore.getState().switchIdentity(target)}>
          {t(target === 'reviewer' ? 'identity.switchToReviewer' : 'identity.switchToAuthor')}
        </button>
      ) : null}
    </div>
  );
}

/**
 * Deploy with a confirmation that names the version, the rollout % and the mode: nothing goes
 * live on the first click.
 */
export function DeployButton(props: { version: number; journeys: string[]; rollout: number; mode: DeployMode; disabled: boolean; onDeploy: () => void }) {
  const { t } = useTranslation();
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" className="primary" disabled={props.disabled} onClick={() => setAsking(true)} data-testid="deploy">
        {t('review.deploy')}
      </button>
    );
  }
  return (
    <div className="confirm-box" role="alertdialog" data-testid="deploy-confirm-box">
      <p data-testid="deploy-confirm-text">
        {t(props.mode === 'live' ? 'deployConfirm.live' : 'deployConfirm.shadow', {
          version: props.version,
          journeys: props.journeys.join('、'),
          pct: props.rollout,
        })}
      </p>
      {props.mode === 'live' && props.rollout === 100 ? <p className="warn-text">{t('deployConfirm.all')}</p> : null}
      <button
        type="button"
        className="primary"
        disabled={props.disabled}
        onClick={() => {
          setAsking(false);
          props.onDeploy();
        }}
        data-testid="deploy-confirm"
      >
        {t('deployConfirm.confirm', { pct: props.rollout, mode: t(`deployConfirm.modes.${props.mode}`) })}
      </button>{' '}
      <button type="button" onClick={() => setAsking(false)} data-testid="deploy-cancel">
        {t('deployConfirm.cancel')}
      </button>
    </div>
  );
}

/** A review's comment without the self-review note, and whether it carried it. */
export function splitReviewNote(comment: string | null | undefined): { text: string; selfReview: boolean } {
  const c = comment ?? '';
  if (!c.includes(LOCAL_REVIEW_NOTE)) return { text: c, selfReview: false };
  return { text: c.replace(LOCAL_REVIEW_NOTE, '').trim(), selfReview: true };
}
