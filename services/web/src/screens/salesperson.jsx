// The salesperson's screens: my style, guidance before a meeting, my pulse and trend, my trust
// ratings, my coaching (the preparation I lead with, my open action items).
import { useState } from 'preact/hooks';
import { call } from '../api.js';
import { keyName, strings } from '../strings.js';
import {
  Async,
  ErrorNote,
  Field,
  LineChart,
  Section,
  StyleMap,
  lines,
  useAction,
  useLoad,
  when,
} from '../ui.jsx';

export function MyStyle({ me }) {
  const profile = useLoad(() => call('behavior_styles', 'GetProfile', { person_id: me.person }), [me.person]);
  return (
    <Section title={strings.style_title} id="style-title">
      <Async state={profile}>
        {(p) => {
          const points = [];
          if (p.self) points.push({ label: strings.style_self, x: p.self.assertiveness, y: p.self.responsiveness });
          if (p.others) points.push({ label: strings.style_others, x: p.others.assertiveness, y: p.others.responsiveness });
          if (!points.length) return <p>{strings.style_none}</p>;
          return (
            <>
              <dl class="facts">
                {p.self && (
                  <>
                    <dt>{strings.style_self}</dt>
                    <dd>{p.self.name}</dd>
                  </>
                )}
                {p.others && (
                  <>
                    <dt>{strings.style_others}</dt>
                    <dd>{p.others.name}</dd>
                  </>
                )}
              </dl>
              <StyleMap title={strings.style_chart_label(me.name)} points={points} />
            </>
          );
        }}
      </Async>
    </Section>
  );
}

export function Guidance({ me }) {
  const [account, setAccount] = useState('');
  const [asked, setAsked] = useState(null);
  const guidance = useLoad(
    () => (asked ? call('behavior_styles', 'GetGuidance', { salesperson_id: me.person, account_id: asked }) : Promise.resolve(null)),
    [asked],
  );
  return (
    <Section title={strings.guidance_title} id="guidance-title">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setAsked(account.trim());
        }}
      >
        <Field id="guidance-account" label={strings.account}>
          <input id="guidance-account" value={account} onInput={(e) => setAccount(e.currentTarget.value)} required />
        </Field>
        <button type="submit">{strings.get_guidance}</button>
      </form>
      {asked && (
        <Async state={guidance}>
          {(g) =>
            g && (
              <div class="guidance">
                {g.tentative && <p class="tentative">{strings.tentative}</p>}
                <h3>{strings.awareness}</h3>
                <p>{g.awareness?.perceived_as}</p>
                <h3>{strings.alignment}</h3>
                <p>{g.alignment?.adjust}</p>
                <ul>
                  <li>{g.alignment?.their_pace}</li>
                  <li>{g.alignment?.they_ask}</li>
                </ul>
                <h3>{strings.action}</h3>
                <h4>{strings.do}</h4>
                <ul>{(g.action?.do ?? []).map((d) => <li key={d}>{d}</li>)}</ul>
                <h4>{strings.dont}</h4>
                <ul>{(g.action?.dont ?? []).map((d) => <li key={d}>{d}</li>)}</ul>
              </div>
            )
          }
        </Async>
      )}
    </Section>
  );
}

export function Pulse({ me }) {
  const questionnaire = useLoad(() => call('motivation_keys', 'GetQuestionnaire', {}), []);
  const history = useLoad(() => call('motivation_keys', 'GetPulseHistory', { person_id: me.person }), [me.person]);
  const [answers, setAnswers] = useState({});
  const send = useAction();
  return (
    <>
      <Section title={strings.pulse_form} id="pulse-form-title">
        <Async state={questionnaire}>
          {(q) => (
            <form
              onSubmit={async (e) => {
                e.preventDefault();
                await send.run(() =>
                  call('motivation_keys', 'RecordPulse', {
                    person_id: me.person,
                    answers: q.items.map((i) => Number(answers[i.id] ?? 0)),
                  }),
                );
                history.reload();
              }}
            >
              <p class="hint">{q.scale_hint}</p>
              {q.items.map((item) => (
                <fieldset key={item.id} class="scale">
                  <legend>{item.text}</legend>
                  {Array.from({ length: q.scale_max }, (_, n) => n + 1).map((v) => (
                    <label key={v}>
                      <input
                        type="radio"
                        name={item.id}
                        value={v}
                        required
                        checked={Number(answers[item.id]) === v}
                        onChange={() => setAnswers({ ...answers, [item.id]: v })}
                      />
                      {v}
                    </label>
                  ))}
                </fieldset>
              ))}
              <button type="submit" disabled={send.busy}>
                {send.busy ? strings.saving : strings.pulse_send}
              </button>
              {send.done && <p role="status">{strings.saved}</p>}
              <ErrorNote error={send.error} />
            </form>
          )}
        </Async>
      </Section>
      <Section title={strings.pulse_trend} id="pulse-trend-title">
        <Async state={history}>
          {(h) => {
            const pulses = h.pulses ?? [];
            if (!pulses.length) return <p>{strings.pulse_none}</p>;
            const keys = ['KEY_ENGAGE', 'KEY_EMPOWER', 'KEY_PERFORM', 'KEY_ENJOY'];
            const series = keys.map((k) => ({
              name: keyName(k),
              points: pulses.map((p) => ({
                x: Number(p.taken_ms),
                y: (p.scores.find((s) => s.key === k) ?? { score: 0 }).score,
              })),
            }));
            const last = pulses[pulses.length - 1];
            return (
              <>
                <p>{strings.weakest(keyName(last.weakest))}</p>
                <dl class="facts">
                  {last.scores.map((s) => (
                    <>
                      <dt key={`${s.key}-t`}>{keyName(s.key)}</dt>
                      <dd key={`${s.key}-d`}>{s.score.toFixed(1)}</dd>
                    </>
                  ))}
                </dl>
                <LineChart title={strings.pulse_trend} series={series} min={1} max={5} />
              </>
            );
          }}
        </Async>
      </Section>
    </>
  );
}

export function TrustView({ salesperson }) {
  const [account, setAccount] = useState('');
  const [asked, setAsked] = useState(null);
  const trust = useLoad(
    () => (asked ? call('motivation_keys', 'GetTrust', { salesperson_id: salesperson, account_id: asked }) : Promise.resolve(null)),
    [asked, salesperson],
  );
  return (
    <>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setAsked(account.trim());
        }}
      >
        <Field id={`trust-account-${salesperson}`} label={strings.account}>
          <input id={`trust-account-${salesperson}`} value={account} onInput={(e) => setAccount(e.currentTarget.value)} required />
        </Field>
        <button type="submit">{strings.show}</button>
      </form>
      {asked && (
        <Async state={trust}>
          {(t) => {
            const ratings = t?.ratings ?? [];
            if (!ratings.length) return <p>{strings.error_what_to_do.NOT_FOUND}</p>;
            const series = [
              { name: strings.trust_title, points: ratings.map((r) => ({ x: Number(r.at_ms), y: r.trust })) },
            ];
            const marks = ratings
              .filter((r) => r.has_change && r.change < -0.5)
              .map((r) => ({ x: Number(r.at_ms), y: r.trust, label: `${strings.trust_drop} ${r.change.toFixed(1)}` }));
            const top = Math.max(10, ...ratings.map((r) => Math.ceil(r.trust)));
            return <LineChart title={strings.trust_chart(asked)} series={series} min={0} max={top} marks={marks} />;
          }}
        </Async>
      )}
    </>
  );
}

export function MyTrust({ me }) {
  return (
    <Section title={strings.trust_title} id="trust-title">
      <TrustView salesperson={me.person} />
    </Section>
  );
}

// The agenda's carried items are the salesperson's open action items.
function OpenItems({ relationship, agenda }) {
  const update = useAction();
  const items = (agenda.data?.items ?? []).filter((i) => i.source === 'carried_item');
  return (
    <Section title={strings.items_title} id="items-title">
      {!items.length ? (
        <p>{strings.items_none}</p>
      ) : (
        <ul class="items">
          {items.map((i) => (
            <li key={i.ref}>
              <span>{i.title}</span> <span class="detail">{i.details.join('; ')}</span>{' '}
              <button
                type="button"
                onClick={async () => {
                  await update.run(() =>
                    call('coaching_sessions', 'UpdateActionItem', {
                      relationship_id: relationship,
                      item_id: i.ref,
                      state: 'ITEM_STATE_DONE',
                    }),
                  );
                  agenda.reload();
                }}
              >
                {strings.item_done}
              </button>
            </li>
          ))}
        </ul>
      )}
      <ErrorNote error={update.error} />
    </Section>
  );
}

export function MyCoaching({ me }) {
  const relationship = me.coach ? `${me.coach}~${me.person}` : null;
  const rel = useLoad(() => (relationship ? call('coaching_sessions', 'GetRelationship', { relationship_id: relationship }) : Promise.resolve(null)), [relationship]);
  const agenda = useLoad(() => (relationship ? call('coaching_sessions', 'GetAgenda', { relationship_id: relationship }) : Promise.resolve(null)), [relationship]);
  const [prep, setPrep] = useState({ focus: '', gaps: '', within: '', upskilling: '' });
  const send = useAction();
  if (!relationship) return <p>{strings.no_coach}</p>;
  return (
    <>
      <h2 class="sr-only">{strings.coaching_title}</h2>
      <Async state={rel}>{(r) => <p>{strings.next_session(when(r.next_session_ms))}</p>}</Async>
      <Section title={strings.prep_title} id="prep-title">
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            await send.run(() =>
              call('coaching_sessions', 'SubmitPrep', {
                relationship_id: relationship,
                submitted_by: me.person,
                prep: {
                  focus: prep.focus,
                  gaps: lines(prep.gaps),
                  within_influence: lines(prep.within),
                  upskilling: lines(prep.upskilling),
                },
              }),
            );
            agenda.reload();
          }}
        >
          <Field id="prep-focus" label={strings.prep_focus}>
            <input id="prep-focus" value={prep.focus} required onInput={(e) => setPrep({ ...prep, focus: e.currentTarget.value })} />
          </Field>
          <Field id="prep-gaps" label={strings.prep_gaps}>
            <textarea id="prep-gaps" value={prep.gaps} onInput={(e) => setPrep({ ...prep, gaps: e.currentTarget.value })} />
          </Field>
          <Field id="prep-within" label={strings.prep_within}>
            <textarea id="prep-within" value={prep.within} onInput={(e) => setPrep({ ...prep, within: e.currentTarget.value })} />
          </Field>
          <Field id="prep-upskilling" label={strings.prep_upskilling}>
            <textarea id="prep-upskilling" value={prep.upskilling} onInput={(e) => setPrep({ ...prep, upskilling: e.currentTarget.value })} />
          </Field>
          <button type="submit" disabled={send.busy}>
            {send.busy ? strings.saving : strings.prep_send}
          </button>
          {send.done && <p role="status">{strings.prep_sent}</p>}
          <ErrorNote error={send.error} />
        </form>
      </Section>
      <Async state={agenda}>{() => <OpenItems relationship={relationship} agenda={agenda} />}</Async>
    </>
  );
}
