// The service agent's screen: an account's cases with their reopens and repeat contacts, the
// check-ins due, and solving a case with its root cause.
import { useState } from 'preact/hooks';
import { call } from '../api.js';
import { strings } from '../strings.js';
import { Async, ErrorNote, Field, Section, useAction, useLoad, when } from '../ui.jsx';

function SolveForm({ me, c, onSolved, categories }) {
  const [root, setRoot] = useState({ category: categories[0] ?? '', cause: '', fix: '', customer_confirmed: false });
  const solve = useAction();
  const id = (k) => `solve-${c.case_id}-${k}`;
  return (
    <form
      class="solve"
      onSubmit={async (e) => {
        e.preventDefault();
        if (await solve.run(() => call('service_followup', 'SolveCase', { case_id: c.case_id, agent_id: me.person, root_cause: root })))
          onSolved();
      }}
    >
      <Field id={id('category')} label={strings.root_category}>
        <select id={id('category')} value={root.category} required onChange={(e) => setRoot({ ...root, category: e.currentTarget.value })}>
          {categories.map((k) => (
            <option key={k} value={k}>
              {k.replaceAll('_', ' ')}
            </option>
          ))}
        </select>
      </Field>
      <Field id={id('cause')} label={strings.root_cause}>
        <input id={id('cause')} value={root.cause} required onInput={(e) => setRoot({ ...root, cause: e.currentTarget.value })} />
      </Field>
      <Field id={id('fix')} label={strings.root_fix}>
        <input id={id('fix')} value={root.fix} required onInput={(e) => setRoot({ ...root, fix: e.currentTarget.value })} />
      </Field>
      <label class="check">
        <input type="checkbox" checked={root.customer_confirmed} onChange={(e) => setRoot({ ...root, customer_confirmed: e.currentTarget.checked })} />
        {strings.customer_confirmed}
      </label>
      <button type="submit" disabled={solve.busy}>
        {strings.solve}
      </button>
      <ErrorNote error={solve.error} />
    </form>
  );
}

function CaseItem({ me, c, categories, onSolved }) {
  return (
    <li class={`case state-${c.state}`}>
      <h3>
        {c.case_id}: {c.subject || '—'} <span class="detail">({c.account_id})</span>
      </h3>
      <p>
        {c.state.replace('CASE_STATE_', '').toLowerCase()}
        {c.reopens > 0 && `, ${c.reopens} ${strings.reopens}`}
        {c.follow_up_of && `, ${strings.repeat_of(c.follow_up_of)}`}
        {Number(c.check_in_due_ms) > 0 && `, ${strings.check_in_due(when(c.check_in_due_ms))}`}
      </p>
      {(c.state === 'CASE_STATE_OPEN' || c.state === 'CASE_STATE_PENDING') && (
        <SolveForm me={me} c={c} categories={categories} onSolved={onSolved} />
      )}
    </li>
  );
}

function CaseList({ me, state, categories, empty, onChange }) {
  return (
    <Async state={state}>
      {(r) =>
        !r.cases?.length ? (
          <p>{empty}</p>
        ) : (
          <ul class="cases">
            {r.cases.map((c) => (
              <CaseItem key={c.case_id} me={me} c={c} categories={categories} onSolved={onChange} />
            ))}
          </ul>
        )
      }
    </Async>
  );
}

// An account with no cases is not an error here: it has none yet.
function noneIfNotFound(e) {
  if (e.code === 'NOT_FOUND') return { cases: [] };
  throw e;
}

export function Cases({ me }) {
  const [account, setAccount] = useState('');
  const [asked, setAsked] = useState('');
  const categories = useLoad(() => call('service_followup', 'GetCategories', {}), []);
  const mine = useLoad(() => call('service_followup', 'ListOpenCases', { agent_id: me.person }), [me.person]);
  const due = useLoad(() => call('service_followup', 'ListCheckInsDue', {}), []);
  const history = useLoad(
    () => (asked ? call('service_followup', 'ListAccountCases', { account_id: asked }).catch(noneIfNotFound) : Promise.resolve(null)),
    [asked],
  );
  const changed = () => {
    mine.reload();
    due.reload();
    if (asked) history.reload();
  };
  const cats = categories.data?.categories ?? [];
  return (
    <>
      <Section title={strings.open_cases_title} id="open-cases-title">
        <CaseList me={me} state={mine} categories={cats} empty={strings.open_cases_none} onChange={changed} />
      </Section>
      <Section title={strings.check_ins_title} id="check-ins-title">
        <CaseList me={me} state={due} categories={cats} empty={strings.check_ins_none} onChange={changed} />
      </Section>
      <Section title={strings.cases_title} id="cases-title">
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            setAsked(account.trim());
          }}
        >
          <Field id="cases-account" label={strings.account}>
            <input id="cases-account" value={account} onInput={(e) => setAccount(e.currentTarget.value)} required />
          </Field>
          <button type="submit">{strings.show}</button>
        </form>
        {asked && <CaseList me={me} state={history} categories={cats} empty={strings.cases_none} onChange={changed} />}
      </Section>
    </>
  );
}
