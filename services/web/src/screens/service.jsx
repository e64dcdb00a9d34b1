// The service agent's screen: an account's cases with their reopens and repeat contacts, the
// check-ins due, and solving a case with its root cause.
import { useState } from 'preact/hooks';
import { call } from '../api.js';
import { strings } from '../strings.js';
import { Async, ErrorNote, Field, Section, useAction, useLoad, when } from '../ui.jsx';

function SolveForm({ me, c, onSolved }) {
  const [root, setRoot] = useState({ category: '', cause: '', fix: '', customer_confirmed: false });
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
        <input id={id('category')} value={root.category} required onInput={(e) => setRoot({ ...root, category: e.currentTarget.value })} />
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

function CasesOf({ me, account }) {
  const cases = useLoad(() => call('service_followup', 'ListAccountCases', { account_id: account }), [account]);
  return (
    <Async state={cases}>
      {(r) =>
        !r.cases?.length ? (
          <p>{strings.cases_none}</p>
        ) : (
          <ul class="cases">
            {r.cases.map((c) => (
              <li key={c.case_id} class={`case state-${c.state}`}>
                <h3>
                  {c.case_id}: {c.subject || '—'}
                </h3>
                <p>
                  {c.state.replace('CASE_STATE_', '').toLowerCase()}
                  {c.reopens > 0 && `, ${c.reopens} ${strings.reopens}`}
                  {c.follow_up_of && `, ${strings.repeat_of(c.follow_up_of)}`}
                  {Number(c.check_in_due_ms) > 0 && `, ${strings.check_in_due(when(c.check_in_due_ms))}`}
                </p>
                {(c.state === 'CASE_STATE_OPEN' || c.state === 'CASE_STATE_PENDING') && (
                  <SolveForm me={me} c={c} onSolved={cases.reload} />
                )}
              </li>
            ))}
          </ul>
        )
      }
    </Async>
  );
}

export function Cases({ me }) {
  const [account, setAccount] = useState('');
  const [asked, setAsked] = useState('');
  return (
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
      {asked && <CasesOf me={me} account={asked} />}
    </Section>
  );
}
