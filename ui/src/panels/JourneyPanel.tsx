// Journey settings: id, name, priority, mutex group, campaign (budget, window, hourly quota),
// re-entry and exit.

import { useTranslation } from 'react-i18next';
import * as cmd from '../model/commands';
import { isObject, str } from '../model/nodeTypes';
import type { Campaign, Journey } from '../model/types';
import { editorStore, useEditor } from '../store/editor';
import { DurationInput, EmptyState, Field, MoneyInput, NumberInput, TextInput, ZonedDateTimeInput } from '../common/ui';
import { policyZone } from '../model/format';

function useJourneyEdit() {
  const active = useEditor((s) => s.active);
  const journey = useEditor((s) => cmd.journeysOf(s.doc)[s.active]);
  const set = (key: string, value: unknown) =>
    editorStore.getState().apply((d) => cmd.setJourneyField(d, active, key, value), { coalesce: `${active}/journey/${key}` });
  /** Update a nested object field (campaign, entry, exit) by spreading the old object. */
  const setIn = (key: 'campaign' | 'entry' | 'exit', sub: string, value: unknown, coalesce = true) =>
    editorStore.getState().apply(
      (d) => {
        const j = cmd.journeysOf(d)[active];
        const old = j && isObject(j[key]) ? (j[key] as Record<string, unknown>) : {};
        const next = cmd.setKey(old, sub, value, key === 'campaign' ? cmd.KEY_ORDER.campaign : []);
        return cmd.setJourneyField(d, active, key, next);
      },
      coalesce ? { coalesce: `${active}/journey/${key}/${sub}` } : undefined,
    );
  return { active, journey, set, setIn };
}

export function JourneyPanel() {
  const { t } = useTranslation();
  const { active, journey, set, setIn } = useJourneyEdit();
  if (!journey) return <EmptyState title={t('canvas.noJourney')} />;
  const campaign = isObject(journey.campaign) ? (journey.campaign as Campaign) : undefined;
  const reEntry = journey.entry?.re_entry;
  const reKind = reEntry === undefined ? 'after_exit' : typeof reEntry === 'string' ? reEntry : 'cooldown';
  return (
    <div className="panel-pad" data-testid="journey-panel">
      <Field label={t('journey.id')}>
        <TextInput value={str(journey.id)} onChange={(v) => set('id', v)} testId="journey-id" />
      </Field>
      <Field label={t('journey.name')}>
        <TextInput value={str(journey.name)} onChange={(v) => set('name', v)} testId="journey-name" />
      </Field>
      <Field label={t('journey.priority')}>
        <NumberInput value={typeof journey.priority === 'number' ? journey.priority : undefined} optional integer onChange={(v) => set('priority', v)} />
      </Field>
      <Field label={t('journey.mutex')}>
        <TextInput value={str(journey.mutex_group)} onChange={(v) => set('mutex_group', v === '' ? undefined : v)} />
      </Field>

      <fieldset>
        <legend>{t('journey.campaign')}</legend>
        {campaign ? (
          <CampaignForm campaign={campaign} journey={journey} setIn={(k, v) => setIn('campaign', k, v)} />
        ) : (
          <>
            <p className="field-hint">{t('journey.noCampaign')}</p>
            <button
              type="button"
              data-testid="add-campaign"
              onClick={() => set('campaign', { id: `c_${journey.id}`, budget: { total: 10000, currency: 'CNY' } })}
            >
              + {t('journey.addCampaign')}
            </button>
          </>
        )}
      </fieldset>

      <fieldset>
        <legend>{t('journey.entry')}</legend>
        <select
          value={reKind}
          data-testid="re-entry"
          onChange={(e) => {
            const v = e.target.value;
            setIn('entry', 're_entry', v === 'cooldown' ? { cooldown: '7d' } : v, false);
          }}
        >
          {(['never', 'after_exit', 'cooldown'] as const).map((k) => (
            <option key={k} value={k}>
              {t(`journey.reEntry.${k}`)}
            </option>
          ))}
        </select>
        {reKind === 'cooldown' && isObject(reEntry) ? (
          <Field label={t('journey.cooldown')}>
            <DurationInput value={str(reEntry.cooldown)} onChange={(v) => setIn('entry', 're_entry', { ...reEntry, cooldown: v ?? '' })} />
          </Field>
        ) : null}
      </fieldset>

      <fieldset>
        <legend>{t('journey.exit')}</legend>
        <Field label={t('journey.goal')}>
          <TextInput
            value={isObject(journey.exit?.goal) ? str(journey.exit.goal.event) : ''}
            onChange={(v) => setIn('exit', 'goal', v === '' ? undefined : { ...(isObject(journey.exit?.goal) ? journey.exit.goal : {}), event: v })}
          />
        </Field>
        <Field label={t('journey.maxDuration')}>
          <DurationInput value={journey.exit?.max_duration} optional onChange={(v) => setIn('exit', 'max_duration', v)} />
        </Field>
      </fieldset>
      <button
        type="button"
        className="danger"
        onClick={() => {
          if (window.confirm(t('canvas.confirmRemoveJourney', { id: journey.id }))) editorStore.getState().removeJourney(active);
        }}
      >
        {t('canvas.removeJourney')}
      </button>
    </div>
  );
}

function CampaignForm(props: { campaign: Campaign; journey: Journey; setIn: (key: string, value: unknown) => void }) {
  const { t } = useTranslation();
  const { campaign, setIn } = props;
  // Campaign windows are entered as local times of the policy's zone.
  const zone = useEditor((s) => policyZone(s.doc));
  const budget = isObject(campaign.budget) ? campaign.budget : { total: 0 };
  return (
    <>
      <Field label={t('journey.campaignId')}>
        <TextInput value={str(campaign.id)} onChange={(v) => setIn('id', v)} />
      </Field>
      <div className="row2">
        <Field label={t('journey.budget')}>
          <MoneyInput value={budget.total} onChange={(v) => setIn('budget', { ...budget, total: v ?? 0 })} testId="budget-total" />
        </Field>
        <Field label={t('journey.currency')}>
          <TextInput value={str(budget.currency)} onChange={(v) => setIn('budget', { ...budget, currency: v === '' ? undefined : v })} />
        </Field>
      </div>
      <Field label={t('journey.startsAt')}>
        <ZonedDateTimeInput value={typeof campaign.starts_at === 'string' ? campaign.starts_at : undefined} tz={zone} onChange={(v) => setIn('starts_at', v)} testId="campaign-starts" />
      </Field>
      <Field label={t('journey.endsAt')}>
        <ZonedDateTimeInput value={typeof campaign.ends_at === 'string' ? campaign.ends_at : undefined} tz={zone} onChange={(v) => setIn('ends_at', v)} testId="campaign-ends" />
      </Field>
      <Field label={t('journey.hourlyQuota')}>
        <MoneyInput value={campaign.hourly_quota} optional onChange={(v) => setIn('hourly_quota', v)} />
      </Field>
      <Field label={t('journey.pacing')}>
        <select
          value={isObject(campaign.pacing) ? str(campaign.pacing.period) : ''}
          onChange={(e) => setIn('pacing', e.target.value === '' ? undefined : { mode: 'even', period: e.target.value })}
          data-testid="campaign-pacing"
        >
          <option value="">{t('journey.pacingNone')}</option>
          <option value="day">{t('journey.pacingDay')}</option>
          <option value="hour">{t('journey.pacingHour')}</option>
        </select>
      </Field>
      {isObject(campaign.pacing) && (!campaign.starts_at || !campaign.ends_at) ? (
        <div className="field-error" data-testid="campaign-pacing-window">{t('journey.pacingNeedsWindow')}</div>
      ) : null}
      <div className="row2">
        <Field label={t('journey.breakerMax')}>
          <MoneyInput
            value={isObject(campaign.breaker) ? (campaign.breaker.max_committed as number | string) : undefined}
            optional
            testId="campaign-breaker-max"
            onChange={(v) =>
              setIn('breaker', v === undefined ? undefined : { max_committed: v, within: isObject(campaign.breaker) ? str(campaign.breaker.within) || '1h' : '1h' })
            }
          />
        </Field>
        <Field label={t('journey.breakerWithin')}>
          <DurationInput
            value={isObject(campaign.breaker) ? campaign.breaker.within : undefined}
            optional
            onChange={(v) => {
              if (isObject(campaign.breaker)) setIn('breaker', { ...campaign.breaker, within: v ?? '1h' });
            }}
          />
        </Field>
      </div>
    </>
  );
}
