// The offer catalog: id, name, kind, face value, min spend, stock, per-user limit, validity.

import { useTranslation } from 'react-i18next';
import * as cmd from '../model/commands';
import { uniqueId } from '../model/nodeTypes';
import { OFFER_KINDS, type Offer } from '../model/types';
import { editorStore, useEditor } from '../store/editor';
import { DurationInput, EmptyState, Field, MoneyInput, NumberInput, Select, TextInput } from '../common/ui';

function setOffers(f: (offers: Offer[]) => Offer[], coalesce?: string) {
  editorStore.getState().apply(
    (d) => cmd.setDocField(d, 'offers', f(Array.isArray(d.offers) ? d.offers : [])),
    coalesce ? { coalesce: `offers/${coalesce}` } : undefined,
  );
}

function setOfferField(i: number, key: string, value: unknown) {
  setOffers(
    (offers) =>
      offers.map((o, k) => {
        if (k !== i) return o;
        return cmd.setKey(o, key, value, cmd.KEY_ORDER.offer);
      }),
    `${i}/${key}`,
  );
}

export function OffersPanel() {
  const { t } = useTranslation();
  const offers = useEditor((s) => cmd.offersOf(s.doc));
  const usage = useEditor((s) => {
    const m: Record<string, number> = {};
    for (const j of cmd.journeysOf(s.doc))
      for (const n of cmd.nodesOf(j))
        if (n.type === 'action.offer' && typeof n.params?.offer === 'string') m[n.params.offer] = (m[n.params.offer] ?? 0) + 1;
    return JSON.stringify(m);
  });
  const used = JSON.parse(usage) as Record<string, number>;

  return (
    <div className="panel-pad" data-testid="offers-panel">
      <h3>{t('offers.title')}</h3>
      {offers.length === 0 ? <EmptyState title={t('offers.empty')} /> : null}
      {offers.map((o, i) => (
        <fieldset key={i} className="offer">
          <legend>
            {o.name || o.id} {used[o.id] ? <span className="muted">· {t('offers.usedBy', { count: used[o.id] })}</span> : null}
          </legend>
          <div className="row2">
            <Field label={t('offers.id')}>
              <TextInput value={String(o.id ?? '')} onChange={(v) => setOfferField(i, 'id', v)} testId={`offer-id-${i}`} />
            </Field>
            <Field label={t('offers.kind')}>
              <Select value={String(o.kind)} options={OFFER_KINDS.map((k) => ({ value: k, label: t(`offers.kinds.${k}`) }))} onChange={(v) => setOfferField(i, 'kind', v)} />
            </Field>
          </div>
          <Field label={t('offers.name')}>
            <TextInput value={typeof o.name === 'string' ? o.name : ''} onChange={(v) => setOfferField(i, 'name', v === '' ? undefined : v)} />
          </Field>
          <div className="row2">
            <Field label={t('offers.faceValue')}>
              <MoneyInput value={o.face_value} onChange={(v) => setOfferField(i, 'face_value', v ?? 0)} testId={`offer-face-${i}`} />
            </Field>
            <Field label={t('offers.minSpend')}>
              <MoneyInput value={o.min_spend} optional onChange={(v) => setOfferField(i, 'min_spend', v)} />
            </Field>
          </div>
          <div className="row2">
            <Field label={t('offers.stock')}>
              <NumberInput value={o.stock} optional integer min={0} placeholder={t('offers.unlimited')} onChange={(v) => setOfferField(i, 'stock', v)} />
            </Field>
            <Field label={t('offers.perUser')}>
              <NumberInput value={o.per_user_limit} optional integer min={1} placeholder="1" onChange={(v) => setOfferField(i, 'per_user_limit', v)} />
            </Field>
          </div>
          <Field label={t('offers.validFor')}>
            <DurationInput value={o.valid_for} optional onChange={(v) => setOfferField(i, 'valid_for', v)} />
          </Field>
          <button type="button" className="danger" onClick={() => setOffers((list) => list.filter((_, k) => k !== i))}>
            {t('props.remove')}
          </button>
        </fieldset>
      ))}
      <button
        type="button"
        data-testid="add-offer"
        onClick={() =>
          setOffers((list) => [...list, { id: uniqueId('offer', new Set(list.map((o) => o.id))), kind: 'coupon', face_value: 10, valid_for: '7d' }])
        }
      >
        + {t('offers.add')}
      </button>
    </div>
  );
}
