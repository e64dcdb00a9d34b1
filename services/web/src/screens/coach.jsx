// The coach's and manager's screens: my people and their next sessions, the session (agenda,
// the four steps, action items, tell-or-engage feedback as the coach types), the team map, the
// team's motivation (aggregates only), trust trends, coaching measures with a CSV download.
import { useEffect, useState } from 'preact/hooks';
import { call } from '../api.js';
import { keyName, strings } from '../strings.js';
import { Async, ErrorNote, Field, Section, StyleMap, lines, useAction, useLoad, when } from '../ui.jsx';
import { TrustView } from './salesperson.jsx';

function coachees(me) {
  return (me.people ?? []).filter((p) => p !== me.person);
}

function PersonRow({ me, person, navigate }) {
  const relationship = `${me.person}~${person}`;
  const rel = useLoad(() => call('coaching_sessions', 'GetRelationship', { relationship_id: relationship }).catch((e) => {
    if (e.code === 'NOT_FOUND') return { none: true };  // not coached yet
    throw e;
  }), [relationship]);
  const start = useAction();
  return (
    <li class="person">
      <strong>{person}</strong>{' '}
      <Async state={rel}>
        {(r) =>
          !r.none ? (
            <>
              <span>{strings.next_session(when(r.next_session_ms))}</span>{' '}
              <a href={`/coach/session/${encodeURIComponent(relationship)}`} onClick={navigate}>
                {strings.open_session}
              </a>
            </>
          ) : (
            <button
              type="button"
              disabled={start.busy}
              onClick={async () => {
                await start.run(() =>
                  call('coaching_sessions', 'StartRelationship', {
                    coach_id: me.person,
                    salesperson_id: person,
                    coach_role: 'COACH_ROLE_PEER',
                    cadence: 'weekly',
                  }),
                );
                rel.reload();
              }}
            >
              {strings.start_relationship}
            </button>
          )
        }
      </Async>
      <ErrorNote error={start.error} />
    </li>
  );
}

export function MyPeople({ me, navigate }) {
  const people = coachees(me);
  return (
    <Section title={strings.people_title} id="people-title">
      {!people.length ? (
        <p>{strings.people_none}</p>
      ) : (
        <ul class="people">
          {people.map((p) => (
            <PersonRow key={p} me={me} person={p} navigate={navigate} />
          ))}
        </ul>
      )}
    </Section>
  );
}

// Feedback on the coach's words: asked of coachd a moment after typing stops.
function LanguageFeedback({ text }) {
  const [report, setReport] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    if (!text.trim()) {
      setReport(null);
      return undefined;
    }
    const timer = setTimeout(() => {
      call('coaching_sessions', 'CheckLanguage', { text }).then(
        (r) => {
          setReport(r);
          setError(null);
        },
        setError,
      );
    }, 400);
    return () => clearTimeout(timer);
  }, [text]);
  return (
    <aside class="feedback" aria-labelledby="feedback-title" aria-live="polite">
      <h3 id="feedback-title">{strings.feedback_title}</h3>
      <p class="hint">{strings.feedback_hint}</p>
      <ErrorNote error={error} />
      {report && (
        <>
          <p class={`verdict verdict-${report.verdict}`}>{strings.verdicts[report.verdict] ?? report.verdict}</p>
          <dl class="facts">
            <dt>{strings.question_share}</dt>
            <dd>{Math.round((report.question_share ?? 0) * 100)}%</dd>
            <dt>{strings.solution_share}</dt>
            <dd>{Math.round((report.solution_share ?? 0) * 100)}%</dd>
          </dl>
          {(report.telling ?? []).length > 0 && (
            <>
              <h4>{strings.telling}</h4>
              <ul>
                {report.telling.map((t) => (
                  <li key={t.sentence}>
                    <q>{t.sentence}</q> — {t.reason}. {strings.ask_instead}: <q>{t.suggested_question}</q>
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </aside>
  );
}

export function SessionScreen({ relationship }) {
  const agenda = useLoad(() => call('coaching_sessions', 'GetAgenda', { relationship_id: relationship }), [relationship]);
  const [steps, setSteps] = useState({ acknowledge: '', explore: '', plan: '', offer_help: '' });
  const [items, setItems] = useState([]);
  const inAWeek = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
  const [draft, setDraft] = useState({ text: '', owner: 'ITEM_OWNER_SALESPERSON', due: inAWeek });
  const record = useAction();
  const salesperson = relationship.split('~')[1];
  const spoken = [steps.acknowledge, steps.explore, steps.plan, steps.offer_help].join('\n');
  const step = (key, label) => (
    <Field id={`step-${key}`} label={label}>
      <textarea id={`step-${key}`} value={steps[key]} onInput={(e) => setSteps({ ...steps, [key]: e.currentTarget.value })} />
    </Field>
  );
  return (
    <>
      <h2>{strings.session_title(salesperson)}</h2>
      <div class="session">
        <Section title={strings.agenda} id="agenda-title">
          <Async state={agenda}>
            {(a) =>
              !a.items?.length ? (
                <p>{strings.agenda_empty}</p>
              ) : (
                <ol class="agenda">
                  {a.items.map((i, n) => (
                    <li key={n} class={`agenda-${i.source}`}>
                      <strong>{i.title}</strong>
                      {i.details?.length > 0 && (
                        <ul>
                          {i.details.map((d) => (
                            <li key={d}>{d}</li>
                          ))}
                        </ul>
                      )}
                    </li>
                  ))}
                </ol>
              )
            }
          </Async>
        </Section>
        <Section title={strings.steps_title} id="steps-title">
          <form
            onSubmit={async (e) => {
              e.preventDefault();
              const ok = await record.run(() =>
                call('coaching_sessions', 'RecordSession', {
                  relationship_id: relationship,
                  steps,
                  coach_questions: lines(steps.explore),
                  action_items: items,
                }),
              );
              if (ok) agenda.reload();
            }}
          >
            {step('acknowledge', strings.step_acknowledge)}
            {step('explore', strings.step_explore)}
            {step('plan', strings.step_plan)}
            {step('offer_help', strings.step_offer)}
            <fieldset>
              <legend>{strings.items_legend}</legend>
              <Field id="item-text" label={strings.new_item}>
                <input id="item-text" value={draft.text} onInput={(e) => setDraft({ ...draft, text: e.currentTarget.value })} />
              </Field>
              <Field id="item-owner" label={strings.item_owner}>
                <select id="item-owner" value={draft.owner} onChange={(e) => setDraft({ ...draft, owner: e.currentTarget.value })}>
                  <option value="ITEM_OWNER_SALESPERSON">{strings.owner_salesperson}</option>
                  <option value="ITEM_OWNER_COACH">{strings.owner_coach}</option>
                </select>
              </Field>
              <Field id="item-due" label={strings.item_due}>
                <input id="item-due" type="date" value={draft.due} required onChange={(e) => setDraft({ ...draft, due: e.currentTarget.value })} />
              </Field>
              <button
                type="button"
                onClick={() => {
                  if (!draft.text.trim()) return;
                  setItems([...items, { text: draft.text.trim(), owner: draft.owner, due_ms: Date.parse(draft.due) + 17 * 3_600_000 }]);
                  setDraft({ ...draft, text: '' });
                }}
              >
                {strings.add_item}
              </button>
              <ul class="items">
                {items.map((i) => (
                  <li key={i.text}>
                    {i.text} ({i.owner === 'ITEM_OWNER_COACH' ? strings.owner_coach : strings.owner_salesperson})
                  </li>
                ))}
              </ul>
            </fieldset>
            <button type="submit" disabled={record.busy}>
              {record.busy ? strings.saving : strings.record_session}
            </button>
            {record.done && <p role="status">{strings.recorded}</p>}
            <ErrorNote error={record.error} />
          </form>
          <LanguageFeedback text={spoken} />
        </Section>
      </div>
    </>
  );
}

function TeamPicker({ me, children }) {
  const [team, setTeam] = useState(me.team ?? '');
  const [asked, setAsked] = useState(me.team ?? '');
  return (
    <>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          setAsked(team.trim());
        }}
      >
        <Field id="team" label={strings.team}>
          <input id="team" value={team} onInput={(e) => setTeam(e.currentTarget.value)} required />
        </Field>
        <button type="submit">{strings.show}</button>
      </form>
      {asked && children(asked)}
    </>
  );
}

function TeamMapOf({ team }) {
  const map = useLoad(() => call('behavior_styles', 'GetTeamMap', { team_id: team }), [team]);
  return (
    <Async state={map}>
      {(m) => (
        <>
          <StyleMap
            title={`${strings.team_map_title}: ${team}`}
            points={(m.members ?? []).filter((x) => x.style).map((x) => ({
              label: x.person.display_name || x.person.person_id,
              x: x.style.assertiveness,
              y: x.style.responsiveness,
            }))}
          />
          {m.unassessed > 0 && <p class="hint">{strings.unassessed(m.unassessed)}</p>}
          <h3>{strings.quadrant_counts}</h3>
          <dl class="facts">
            {Object.entries(m.counts ?? {}).map(([q, n]) => (
              <>
                <dt key={`${q}-t`}>{q}</dt>
                <dd key={`${q}-d`}>{n}</dd>
              </>
            ))}
          </dl>
          <h3>{strings.hardest_pairings}</h3>
          <ul>
            {(m.pairings ?? [])
              .filter((p) => p.hardest_pairing)
              .map((p) => (
                <li key={`${p.person_id}-${p.account_id}`}>
                  {p.person_id} ({p.person_style}) — {p.account_id} ({p.customer_style})
                </li>
              ))}
          </ul>
        </>
      )}
    </Async>
  );
}

export function TeamMap({ me }) {
  return (
    <Section title={strings.team_map_title} id="team-map-title">
      <TeamPicker me={me}>{(team) => <TeamMapOf team={team} />}</TeamPicker>
    </Section>
  );
}

function MotivationOf({ team }) {
  const view = useLoad(() => call('motivation_keys', 'GetTeamView', { team_id: team }), [team]);
  return (
    <Async state={view}>
      {(v) => (
        <>
          <p>{strings.members_with_pulse(v.members_with_pulse ?? 0, v.members ?? 0)}</p>
          <svg viewBox="0 0 320 140" role="img" aria-label={(v.keys ?? []).map((k) => `${keyName(k.key)} ${strings.mean} ${k.mean.toFixed(1)}`).join('; ')}>
            {(v.keys ?? []).map((k, i) => (
              <g key={k.key} class={`bar s${i}`}>
                <text x={0} y={24 + i * 30}>
                  {keyName(k.key)}
                </text>
                <rect x={80} y={12 + i * 30} width={Math.max(0, (k.mean / 5) * 220)} height={16} />
                <text x={84 + (k.mean / 5) * 220} y={24 + i * 30}>
                  {k.mean.toFixed(1)} ± {k.spread.toFixed(1)}
                </text>
              </g>
            ))}
          </svg>
          {v.weakest && <p>{strings.weakest(keyName(v.weakest))}</p>}
        </>
      )}
    </Async>
  );
}

export function TeamMotivation({ me }) {
  return (
    <Section title={strings.motivation_title} id="motivation-title">
      <TeamPicker me={me}>{(team) => <MotivationOf team={team} />}</TeamPicker>
    </Section>
  );
}

export function TrustTrends({ me }) {
  const people = coachees(me);
  const [who, setWho] = useState(people[0] ?? '');
  return (
    <Section title={strings.trust_trends_title} id="trust-trends-title">
      <Field id="trust-salesperson" label={strings.salesperson}>
        <select id="trust-salesperson" value={who} onChange={(e) => setWho(e.currentTarget.value)}>
          {people.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </Field>
      {who && <TrustView salesperson={who} />}
    </Section>
  );
}

export function Measures({ me }) {
  const day = 86_400_000;
  const [range, setRange] = useState({ from: new Date(Date.now() - 90 * day).toISOString().slice(0, 10), to: new Date().toISOString().slice(0, 10) });
  const request = { coach_id: me.person, from_ms: Date.parse(range.from), to_ms: Date.parse(range.to) + day };
  const measures = useLoad(() => call('coaching_sessions', 'GetMeasures', request), [range.from, range.to]);
  const csv = useAction();
  return (
    <Section title={strings.measures_title} id="measures-title">
      <div class="inline">
        <Field id="from" label={strings.from}>
          <input id="from" type="date" value={range.from} onChange={(e) => setRange({ ...range, from: e.currentTarget.value })} />
        </Field>
        <Field id="to" label={strings.to}>
          <input id="to" type="date" value={range.to} onChange={(e) => setRange({ ...range, to: e.currentTarget.value })} />
        </Field>
      </div>
      <Async state={measures}>
        {(m) => (
          <dl class="facts">
            {Object.entries(m).map(([k, v]) => (
              <>
                <dt key={`${k}-t`}>{k.replaceAll('_', ' ')}</dt>
                <dd key={`${k}-d`}>{typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(2) : String(v)}</dd>
              </>
            ))}
          </dl>
        )}
      </Async>
      <button
        type="button"
        onClick={() =>
          csv.run(async () => {
            const r = await call('coaching_sessions', 'GetMeasuresCsv', request);
            const link = document.createElement('a');
            link.href = URL.createObjectURL(new Blob([r.csv], { type: 'text/csv' }));
            link.download = `coaching-measures-${range.from}-${range.to}.csv`;
            link.click();
          })
        }
      >
        {strings.download_csv}
      </button>
      <ErrorNote error={csv.error} />
    </Section>
  );
}

export function AccountsAtRisk() {
  const list = useLoad(() => call('service_followup', 'ListAccountsAtRisk', {}), []);
  return (
    <Section title={strings.at_risk_title} id="at-risk-title">
      <Async state={list}>
        {(r) =>
          !r.accounts?.length ? (
            <p>{strings.at_risk_none}</p>
          ) : (
            <ul class="cases">
              {r.accounts.map((a) => (
                <li key={a.account_id}>
                  <h3>
                    {a.account_id} <span class="detail">({a.salesperson_id}, {when(a.at_ms)})</span>
                  </h3>
                  <ul>
                    {(a.evidence ?? []).map((e) => (
                      <li key={e}>{e}</li>
                    ))}
                  </ul>
                </li>
              ))}
            </ul>
          )
        }
      </Async>
    </Section>
  );
}
