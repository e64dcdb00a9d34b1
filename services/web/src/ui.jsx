// Building blocks every screen uses: a request's loading and error states, labelled fields, and
// charts drawn from data (SVG, with a text alternative).
import { useCallback, useEffect, useState } from 'preact/hooks';
import { strings } from './strings.js';

// Runs load() now and whenever deps change; {data, error, loading, reload}.
export function useLoad(load, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const run = useCallback(() => {
    setState((s) => ({ ...s, loading: true, error: null }));
    load().then(
      (data) => setState({ data, error: null, loading: false }),
      (error) => setState({ data: null, error, loading: false }),
    );
  }, deps);
  useEffect(run, [run]);
  return { ...state, reload: run };
}

// An action's state: run(fn) marks it busy, then done or failed.
export function useAction() {
  const [state, setState] = useState({ busy: false, error: null, done: false });
  const run = async (fn) => {
    setState({ busy: true, error: null, done: false });
    try {
      const result = await fn();
      setState({ busy: false, error: null, done: true });
      return result;
    } catch (error) {
      setState({ busy: false, error, done: false });
      return undefined;
    }
  };
  return { ...state, run };
}

export function Loading() {
  return (
    <p class="loading" role="status">
      {strings.loading}
    </p>
  );
}

export function ErrorNote({ error, onRetry }) {
  if (!error) return null;
  return (
    <div class="error" role="alert">
      <p>
        <strong>{strings.error_prefix}:</strong> {error.message}
      </p>
      <p>{error.advice ?? strings.error_what_to_do.default}</p>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          {strings.retry}
        </button>
      )}
    </div>
  );
}

// Shows loading, then the error (with a retry), then children(data).
export function Async({ state, children }) {
  if (state.error) return <ErrorNote error={state.error} onRetry={state.reload} />;
  // Nothing yet: loading, or about to (its inputs changed and the load starts after this render).
  if (state.data == null) return <Loading />;
  return children(state.data);
}

export function Field({ id, label, children, hint }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {children}
    </div>
  );
}

export function Section({ title, children, id }) {
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

const W = 320;
const H = 180;
const PAD = 32;

// Lines over time: series [{name, points: [{x: ms, y}]}], y within [min, max]; marks are
// points drawn as a warning (e.g. trust drops), each with a label.
export function LineChart({ title, series, min, max, marks = [] }) {
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  const sx = (x) => PAD + (x1 === x0 ? (W - 2 * PAD) / 2 : ((x - x0) / (x1 - x0)) * (W - 2 * PAD));
  const sy = (y) => H - PAD - ((y - min) / (max - min)) * (H - 2 * PAD);
  const summary = series
    .map((s) => `${s.name}: ${s.points.map((p) => p.y.toFixed(1)).join(', ')}`)
    .join('; ');
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${title}. ${summary}`}>
        <line x1={PAD} y1={H - PAD} x2={W - PAD} y2={H - PAD} class="axis" />
        <line x1={PAD} y1={PAD} x2={PAD} y2={H - PAD} class="axis" />
        <text x={4} y={sy(max) + 4} class="tick">
          {max}
        </text>
        <text x={4} y={sy(min) + 4} class="tick">
          {min}
        </text>
        {series.map((s, i) => (
          <g class={`series s${i}`} key={s.name}>
            <polyline points={s.points.map((p) => `${sx(p.x)},${sy(p.y)}`).join(' ')} />
            {s.points.map((p) => (
              <circle cx={sx(p.x)} cy={sy(p.y)} r={3} key={p.x} />
            ))}
          </g>
        ))}
        {marks.map((m) => {
          const right = sx(m.x) > W / 2;  // the label goes where there is room
          return (
            <g class="mark" key={`${m.x}-${m.label}`}>
              <circle cx={sx(m.x)} cy={sy(m.y)} r={7} />
              <text x={sx(m.x) + (right ? -10 : 10)} y={sy(m.y) - 10} text-anchor={right ? 'end' : 'start'}>
                {m.label}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption>
        {title}
        <ul class="legend">
          {series.map((s, i) => (
            <li class={`s${i}`} key={s.name}>
              {s.name}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}

// People on the two style axes (1 to 4, the midlines at 2.5): points [{label, x, y}] with x
// assertiveness (asks to tells) and y responsiveness (controls to emotes); the quadrants named.
export function StyleMap({ title, points }) {
  const S = 300;
  const M = 36;
  const scale = (v) => M + ((v - 1) / 3) * (S - 2 * M);
  const q = strings.quadrants;
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${S} ${S}`}
        role="img"
        aria-label={`${title}. ${points
          .map((p) => `${p.label}: assertiveness ${p.x.toFixed(1)}, responsiveness ${p.y.toFixed(1)}`)
          .join('; ')}`}
      >
        <rect x={M} y={M} width={S - 2 * M} height={S - 2 * M} class="frame" />
        <line x1={S / 2} y1={M} x2={S / 2} y2={S - M} class="axis" />
        <line x1={M} y1={S / 2} x2={S - M} y2={S / 2} class="axis" />
        <text x={M + 4} y={M + 14} class="quadrant">{q.asks_emotes}</text>
        <text x={S - M - 4} y={M + 14} class="quadrant" text-anchor="end">{q.tells_emotes}</text>
        <text x={M + 4} y={S - M - 6} class="quadrant">{q.asks_controls}</text>
        <text x={S - M - 4} y={S - M - 6} class="quadrant" text-anchor="end">{q.tells_controls}</text>
        <text x={M} y={S - 8} class="tick">{strings.axis_asks}</text>
        <text x={S - M} y={S - 8} class="tick" text-anchor="end">{strings.axis_tells}</text>
        <text x={8} y={S - M} class="tick" transform={`rotate(-90 8 ${S - M})`}>{strings.axis_controls}</text>
        <text x={8} y={M} class="tick" text-anchor="end" transform={`rotate(-90 8 ${M})`}>{strings.axis_emotes}</text>
        {points.map((p) => {
          const x = scale(p.x);
          const right = x > S / 2;
          return (
            <g key={p.label} class="point">
              <circle cx={x} cy={S - scale(p.y)} r={6} />
              <text x={right ? x - 9 : x + 9} y={S - scale(p.y) + 4} text-anchor={right ? 'end' : 'start'}>
                {p.label}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption>{title}</figcaption>
    </figure>
  );
}

export function when(ms) {
  if (!ms) return '—';
  return new Date(Number(ms)).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function lines(text) {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}
