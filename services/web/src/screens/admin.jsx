// The tenant admin's screens: the people import with its line-numbered report and progress,
// tokens, webhook subscriptions, and the modules with their health.
import { useState } from 'preact/hooks';
import { call } from '../api.js';
import { strings } from '../strings.js';
import { Async, ErrorNote, Field, Section, useAction, useLoad, when } from '../ui.jsx';

const kChunk = 500;  // lines per request: the progress bar moves per chunk

export function PeopleImport() {
  const [progress, setProgress] = useState(null);
  const [report, setReport] = useState(null);
  const run = useAction();
  const importFile = async (file) => {
    const text = await file.text();
    const format = file.name.endsWith('.csv') ? 'csv' : 'jsonl';
    const all = text.split('\n');
    const header = format === 'csv' ? all.shift() : '';
    const total = { lines: 0, added: 0, updated: 0, unchanged: 0, errors: [] };
    setProgress({ done: 0, of: all.length });
    for (let i = 0; i < all.length; i += kChunk) {
      const part = all.slice(i, i + kChunk).join('\n');
      const r = await call('people', 'ImportPeople', {
        format,
        text: part,
        csv_header: format === 'csv' ? header : '',
        first_line: i + (format === 'csv' ? 2 : 1),
      });
      for (const k of ['lines', 'added', 'updated', 'unchanged']) total[k] += r[k] ?? 0;
      total.errors.push(...(r.errors ?? []));
      setProgress({ done: Math.min(i + kChunk, all.length), of: all.length });
    }
    setReport(total);
  };
  return (
    <Section title={strings.import_title} id="import-title">
      <Field id="import-file" label={strings.import_file}>
        <input
          id="import-file"
          type="file"
          accept=".csv,.jsonl,.json"
          onChange={(e) => {
            const file = e.currentTarget.files?.[0];
            if (file) run.run(() => importFile(file));
          }}
        />
      </Field>
      {progress && (
        <progress max={progress.of} value={progress.done} aria-label={strings.import_title}>
          {progress.done}/{progress.of}
        </progress>
      )}
      <ErrorNote error={run.error} />
      {report && (
        <div role="status">
          <p>{strings.import_report(report)}</p>
          <ul class="errors">
            {report.errors.map((e) => (
              <li key={e.line}>{strings.import_line(e.line, e.message)}</li>
            ))}
          </ul>
        </div>
      )}
    </Section>
  );
}

export function Tokens() {
  const tokens = useLoad(() => call('tokens', 'ListTokens', {}), []);
  const revoke = useAction();
  return (
    <Section title={strings.tokens_title} id="tokens-title">
      <Async state={tokens}>
        {(t) => (
          <table>
            <thead>
              <tr>
                <th scope="col">{strings.token_columns.id}</th>
                <th scope="col">{strings.token_columns.person}</th>
                <th scope="col">{strings.token_columns.role}</th>
                <th scope="col">{strings.token_columns.created}</th>
                <th scope="col">{strings.token_columns.revoked}</th>
                <th scope="col">
                  <span class="sr-only">{strings.token_columns.actions}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {(t.tokens ?? []).map((x) => (
                <tr key={x.id}>
                  <td>{x.id}</td>
                  <td>{x.person}</td>
                  <td>{x.session ? strings.session_token : x.role}</td>
                  <td>{when(x.created_ms)}</td>
                  <td>{when(x.revoked_ms)}</td>
                  <td>
                    {!Number(x.revoked_ms) && (
                      <button type="button" onClick={async () => {
                        await revoke.run(() => call('tokens', 'RevokeToken', { id: x.id }));
                        tokens.reload();
                      }}>
                        {strings.revoke(x.id)}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Async>
      <ErrorNote error={revoke.error} />
    </Section>
  );
}

export function Webhooks() {
  const subs = useLoad(() => call('webhooks', 'ListSubscriptions', {}), []);
  const [form, setForm] = useState({ url: '', topic_prefix: '' });
  const [secret, setSecret] = useState('');
  const add = useAction();
  return (
    <Section title={strings.webhooks_title} id="webhooks-title">
      <Async state={subs}>
        {(s) => (
          <ul>
            {(s.subscriptions ?? []).map((x) => (
              <li key={x.subscription_id}>
                {x.subscription_id}: {x.url} ({x.topic_prefix || strings.all_topics})
              </li>
            ))}
          </ul>
        )}
      </Async>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const made = await add.run(() => call('webhooks', 'Subscribe', form));
          if (made) {
            setSecret(made.secret);
            subs.reload();
          }
        }}
      >
        <Field id="hook-url" label={strings.hook_url}>
          <input id="hook-url" type="url" required value={form.url} onInput={(e) => setForm({ ...form, url: e.currentTarget.value })} />
        </Field>
        <Field id="hook-prefix" label={strings.hook_prefix}>
          <input id="hook-prefix" value={form.topic_prefix} onInput={(e) => setForm({ ...form, topic_prefix: e.currentTarget.value })} />
        </Field>
        <button type="submit">{strings.hook_add}</button>
        {secret && (
          <p role="status">
            {strings.hook_secret} <code>{secret}</code>
          </p>
        )}
        <ErrorNote error={add.error} />
      </form>
    </Section>
  );
}

export function Health() {
  const plugins = useLoad(() => call('coachd', 'ListPlugins', {}), []);
  return (
    <Section title={strings.health_title} id="health-title">
      <Async state={plugins}>
        {(p) => (
          <table>
            <thead>
              <tr>
                <th scope="col">{strings.plugin}</th>
                <th scope="col">{strings.state}</th>
                <th scope="col">{strings.enabled}</th>
                <th scope="col">{strings.requests}</th>
              </tr>
            </thead>
            <tbody>
              {(p.plugins ?? []).map((x) => (
                <tr key={x.name}>
                  <td>{x.name}</td>
                  <td>{x.state}</td>
                  <td>{x.enabled_for_tenant ? strings.yes : strings.no}</td>
                  <td>{x.requests_total}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Async>
    </Section>
  );
}
