// Figures that cannot be what they seem: an attributed ROI in the thousands of percent, more
// attributed conversions than journey entries, more conversions than users. Each says why beside
// the figure (docs/measurement.md: attributed revenue counts orders that would have happened
// anyway; only a control group measures what a journey adds).

/** An attributed ROI above this (1,000%: more than ¥10 back for every ¥1 spent) is implausible. */
export const ROI_IMPLAUSIBLE = 10;

/** The figures the checks read, from a report or a release's summary. */
export interface Figures {
  /** (attributed revenue − cost) / cost; null when nothing was spent. */
  roi: number | null | undefined;
  /** Attributed revenue and cost, as the report writes money (decimal strings or numbers). */
  attributedRevenue: string | number | null | undefined;
  cost: string | number | null | undefined;
  /** Conversions attributed to a journey's touch or offer, and all conversions. */
  attributed: number;
  conversions: number;
  /** Journey entries (passes, not distinct users), and the users of the sample. */
  entered: number;
  users: number;
}

export type Implausible =
  /** ROI so high that attribution, not the journey, must make it: `perYuan` back for every ¥1. */
  | { figure: 'roi'; roi: number; perYuan: number | null }
  /** More attributed conversions than entries: repeat orders after one touch all counted. */
  | { figure: 'attributed'; attributed: number; entered: number }
  /** More conversions than users: the count is of orders, not people. */
  | { figure: 'conversions'; conversions: number; users: number };

const num = (v: string | number | null | undefined): number | null => {
  if (v === null || v === undefined || v === '') return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
};

/** What is implausible about these figures (none: an empty list). */
export function implausible(f: Figures): Implausible[] {
  const out: Implausible[] = [];
  if (typeof f.roi === 'number' && Number.isFinite(f.roi) && f.roi > ROI_IMPLAUSIBLE) {
    const revenue = num(f.attributedRevenue);
    const cost = num(f.cost);
    out.push({ figure: 'roi', roi: f.roi, perYuan: revenue !== null && cost ? revenue / cost : null });
  }
  if (f.entered > 0 && f.attributed > f.entered) out.push({ figure: 'attributed', attributed: f.attributed, entered: f.entered });
  if (f.users > 0 && f.conversions > f.users) out.push({ figure: 'conversions', conversions: f.conversions, users: f.users });
  return out;
}
