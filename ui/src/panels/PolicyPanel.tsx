// The engine-wide policy: time zone, frequency caps, quiet hours, conversion and attribution.

import { useTranslation } from 'react-i18next';
import * as cmd from '../model/commands';
import { isObject, str } from '../model/nodeTypes';
import { channelText } from '../model/vocab';
import { CHANNELS, type FreqCap, type Policy } from '../model/types';
import { editorStore, useEditor } from '../store/editor';
import { DurationInput, Field, NumberInput, Select, TextInput } from '../common/ui';

const NO_POLICY: Policy = {};

const TZ = ['Asia/Shanghai', 'Asia/Hong_Kong', 'Asia/Tokyo', 'Asia/Singapore', 'UTC', 'Europe/London', 'America/New_York'];

function setPolicy(f: (p: Policy) => Policy, coalesce?: string) {
  editorStore.getState().apply(
    (d) => cmd.setDocField(d, 'policy', f(isObject(d.policy) ? d.policy : {})),
    coalesce ? { coalesce: `policy/${coalesce}` } : undefined,
  );
}

function setKey(p: Record<string, unknown>, key: string, value: unknown) {
  return cmd.setKey(p, key, value, cmd.KEY_ORDER.policy);
}

export function PolicyPanel() {
  const { t } = useTranslation();
  const policy = useEditor((s) => (isObject(s.doc.policy) ? (s.doc.policy as Policy) : NO_POLICY));
  const caps = Array.isArray(policy.freq_caps) ? policy.freq_caps : [];
  const quiet = isObject(policy.quiet_hours) ? policy.quiet_hours : undefined;
  const conv = isObject(policy.conversion) ? policy.conversion : {};
  const attr = isObject(policy.attribution) ? policy.attribution : {};

  const setCap = (i: number, patch: Partial<FreqCap>) =>
    setPolicy((p) => ({ ...p, freq_caps: caps.map((c, k) => (k === i ? { ...c, ...patch } : c)) }), `cap${i}/${Object.keys(patch).join()}`);

  return (
    <div className="panel-pad" data-testid="policy-panel">
      <Field label={t('policy.tz')}>
        <TextInput value={str(policy.tz)} list={TZ} placeholder="UTC" onChange={(v) => setPolicy((p) => setKey(p, 'tz', v === '' ? undefined : v) as Policy, 'tz')} />
      </Field>

      <fieldset>
        <legend>{t('policy.caps')}</legend>
        {caps.map((c, i) => (
          <div key={i} className="cap-row">
            <Select
              value={str(c.channel)}
              options={[{ value: '*', label: t('policy.allChannels') }, ...CHANNELS.map((ch) => ({ value: ch, label: channelText(t, ch) }))]}
              onChange={(v) => setCap(i, { channel: v })}
            />
            <span>{t('policy.max')}</span>
            <NumberInput value={c.max} integer min={0} onChange={(v) => setCap(i, { max: v ?? 0 })} />
            <span>/</span>
            <DurationInput value={c.window} onChange={(v) => setCap(i, { window: v ?? '24h' })} />
            <button type="button" className="danger" onClick={() => setPolicy((p) => ({ ...p, freq_caps: caps.filter((_, k) => k !== i) }))} title={t('props.remove')}>
              ✕
            </button>
          </div>
        ))}
        <button type="button" data-testid="add-cap" onClick={() => setPolicy((p) => ({ ...p, freq_caps: [...caps, { channel: '*', max: 2, window: '24h' }] }))}>
          + {t('policy.addCap')}
        </button>
      </fieldset>

      <fieldset>
        <legend>{t('policy.quiet')}</legend>
        <label className="check">
          <input
            type="checkbox"
            checked={!!quiet}
            data-testid="quiet-on"
            onChange={(e) => setPolicy((p) => setKey(p, 'quiet_hours', e.target.checked ? { start: '22:00', end: '08:00', mode: 'defer' } : undefined) as Policy)}
          />
          {t('policy.quietOn')}
        </label>
        {quiet ? (
          <div className="row3">
            <Field label={t('policy.start')}>
              <input type="time" value={str(quiet.start)} onChange={(e) => setPolicy((p) => ({ ...p, quiet_hours: { ...quiet, start: e.target.value } }), 'qstart')} />
            </Field>
            <Field label={t('policy.end')}>
              <input type="time" value={str(quiet.end)} onChange={(e) => setPolicy((p) => ({ ...p, quiet_hours: { ...quiet, end: e.target.value } }), 'qend')} />
            </Field>
            <Field label={t('policy.mode')}>
              <Select
                value={str(quiet.mode, 'defer') as 'defer' | 'suppress'}
                options={(['defer', 'suppress'] as const).map((m) => ({ value: m, label: t(`policy.modes.${m}`) }))}
                onChange={(v) => setPolicy((p) => ({ ...p, quiet_hours: { ...quiet, mode: v } }))}
              />
            </Field>
          </div>
        ) : null}
      </fieldset>

      <fieldset>
        <legend>{t('policy.conversion')}</legend>
        <div className="row2">
          <Field label={t('policy.convEvent')}>
            <TextInput value={str(conv.event)} placeholder="order_paid" onChange={(v) => setPolicy((p) => ({ ...p, conversion: setKey(conv, 'event', v === '' ? undefined : v) }), 'cevent')} />
          </Field>
          <Field label={t('policy.revenueField')}>
            <TextInput value={str(conv.revenue_field)} placeholder="amount" onChange={(v) => setPolicy((p) => ({ ...p, conversion: setKey(conv, 'revenue_field', v === '' ? undefined : v) }), 'crev')} />
          </Field>
        </div>
      </fieldset>

      <fieldset>
        <legend>{t('policy.attribution')}</legend>
        <div className="row2">
          <Field label={t('policy.window')}>
            <DurationInput value={attr.window} optional onChange={(v) => setPolicy((p) => ({ ...p, attribution: setKey(attr, 'window', v) }), 'awin')} />
          </Field>
          <Field label={t('policy.model')}>
            <Select
              value={str(attr.model, 'last_touch') as 'last_touch' | 'first_touch'}
              options={(['last_touch', 'first_touch'] as const).map((m) => ({ value: m, label: t(`policy.models.${m}`) }))}
              onChange={(v) => setPolicy((p) => ({ ...p, attribution: { ...attr, model: v } }))}
            />
          </Field>
        </div>
      </fieldset>
    </div>
  );
}
