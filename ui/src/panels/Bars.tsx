// Horizontal bars drawn with plain elements: the side panel's small charts (segment sizes, an
// aggregate's distribution). Cheaper than loading the charts chunk into the design view, and
// the figures stay readable text (and testable).

export interface BarRow {
  key: string;
  label: string;
  value: number;
  /** Text after the value (e.g. "entered 3 · left 1"). */
  note?: string;
}

export function Bars(props: { rows: BarRow[]; unit: (n: number) => string; testId?: string }) {
  const max = Math.max(1, ...props.rows.map((r) => r.value));
  return (
    <div className="bars" data-testid={props.testId}>
      {props.rows.map((r) => (
        <div key={r.key} className="bar-row" data-testid={props.testId ? `${props.testId}-${r.key}` : undefined}>
          <div className="bar-label" title={r.key}>
            {r.label}
          </div>
          <div className="bar-track">
            <div className="bar-fill" style={{ width: `${(r.value / max) * 100}%` }} />
          </div>
          <div className="bar-value">
            {props.unit(r.value)}
            {r.note ? <span className="muted"> · {r.note}</span> : null}
          </div>
        </div>
      ))}
    </div>
  );
}
