// The app: who is signed in, the screens their roles allow, and what happens live.
import { render } from 'preact';
import { useEffect, useErrorBoundary, useState } from 'preact/hooks';
import { call, loadSession, signOut } from './api.js';
import { strings } from './strings.js';
import { ErrorNote, Loading } from './ui.jsx';
import { Health, PeopleImport, Tokens, Webhooks } from './screens/admin.jsx';
import { AccountsAtRisk, Measures, MyPeople, SessionScreen, TeamMap, TeamMotivation, TrustTrends } from './screens/coach.jsx';
import { Guidance, MyCoaching, MyStyle, MyTrust, Pulse } from './screens/salesperson.jsx';
import { Cases } from './screens/service.jsx';
import './style.css';

// The screens, who may open them, and where they live.
const kScreens = [
  { path: '/me/style', nav: 'my_style', roles: ['salesperson'], view: MyStyle },
  { path: '/me/guidance', nav: 'guidance', roles: ['salesperson'], view: Guidance },
  { path: '/me/pulse', nav: 'pulse', roles: ['salesperson'], view: Pulse },
  { path: '/me/trust', nav: 'trust', roles: ['salesperson'], view: MyTrust },
  { path: '/me/coaching', nav: 'coaching', roles: ['salesperson'], view: MyCoaching },
  { path: '/coach/people', nav: 'people', roles: ['coach'], view: MyPeople },
  { path: '/coach/team-map', nav: 'team_map', roles: ['coach', 'manager'], view: TeamMap },
  { path: '/coach/motivation', nav: 'motivation', roles: ['coach', 'manager'], view: TeamMotivation },
  { path: '/coach/trust', nav: 'trust_trends', roles: ['coach'], view: TrustTrends },
  { path: '/coach/measures', nav: 'measures', roles: ['coach', 'manager'], view: Measures },
  { path: '/accounts/at-risk', nav: 'at_risk', roles: ['coach', 'manager', 'service_agent', 'tenant_admin'], view: AccountsAtRisk },
  { path: '/desk/cases', nav: 'cases', roles: ['service_agent', 'tenant_admin'], view: Cases },
  { path: '/admin/people', nav: 'admin_people', roles: ['tenant_admin', 'operator'], view: PeopleImport },
  { path: '/admin/tokens', nav: 'admin_tokens', roles: ['tenant_admin', 'operator'], view: Tokens },
  { path: '/admin/webhooks', nav: 'admin_webhooks', roles: ['tenant_admin', 'operator'], view: Webhooks },
  { path: '/admin/health', nav: 'admin_health', roles: ['tenant_admin', 'operator'], view: Health },
];

function allowed(me, screen) {
  return screen.roles.some((r) => me.roles.includes(r));
}

function usePath() {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const onPop = () => setPath(location.pathname);
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  const navigate = (e) => {
    const href = e.currentTarget.getAttribute('href');
    if (!href || e.metaKey || e.ctrlKey) return;
    e.preventDefault();
    history.pushState(null, '', href);
    setPath(href);
    document.getElementById('main')?.focus();
  };
  return [path, navigate];
}

// A line for an event a person would want to notice.
function describe(e) {
  const d = e.data ?? {};
  switch (e.topic) {
    case 'motivation_keys.trust_dropped':
      return `Trust dropped: ${d.salesperson_id} with ${d.account_id} (${(d.drop ?? 0).toFixed(1)})`;
    case 'service_followup.account_at_risk':
      return `Account at risk: ${d.account_id} (${d.salesperson_id})`;
    case 'service_followup.follow_up_due':
      return `Check-in due: case ${d.case_id} of ${d.account_id}`;
    case 'coaching_sessions.prep_submitted':
      return `Preparation submitted by ${d.salesperson_id}`;
    case 'coaching_sessions.session_held':
      return `Session held: ${d.relationship_id}`;
    default:
      return e.topic.replace('.', ': ').replaceAll('_', ' ');
  }
}

function Live() {
  const [events, setEvents] = useState([]);
  const [connected, setConnected] = useState(true);
  useEffect(() => {
    const source = new EventSource('/v1/events');
    source.onmessage = (m) => {
      setConnected(true);
      const e = JSON.parse(m.data);
      setEvents((list) => [{ id: e.id, text: describe(e) }, ...list].slice(0, 6));
    };
    source.onerror = () => setConnected(false);
    source.onopen = () => setConnected(true);
    return () => source.close();
  }, []);
  return (
    <aside class="live" aria-labelledby="live-title">
      <h2 id="live-title">{strings.live_label}</h2>
      {!connected && <p class="hint">{strings.live_disconnected}</p>}
      <ul aria-live="polite">
        {events.length === 0 ? <li class="hint">{strings.live_empty}</li> : events.map((e) => <li key={e.id}>{e.text}</li>)}
      </ul>
    </aside>
  );
}

function Home({ me, screens, navigate }) {
  return (
    <>
      <h2>{strings.home_title(me.name)}</h2>
      <p>{strings.home_roles(me.roles.join(', '))}</p>
      <ul class="tiles">
        {screens.map((s) => (
          <li key={s.path}>
            <a href={s.path} onClick={navigate}>
              {strings.nav[s.nav]}
            </a>
          </li>
        ))}
      </ul>
    </>
  );
}

// A screen that fails to render shows what went wrong instead of leaving the page blank.
function Guard({ children }) {
  const [error, reset] = useErrorBoundary();
  if (error)
    return (
      <ErrorNote
        error={{ message: `${strings.screen_failed} (${error.message})`, advice: strings.error_what_to_do.default }}
        onRetry={reset}
      />
    );
  return children;
}

function App() {
  const [me, setMe] = useState(null);
  const [error, setError] = useState(null);
  const [path, navigate] = usePath();
  useEffect(() => {
    loadSession()
      .then(async (s) => {
        let person = {};
        if (s.person) person = await call('people', 'GetPerson', { id: s.person }).catch(() => ({}));
        setMe({ ...s, name: person.name || s.person || 'operator', team: person.team, coach: person.coach });
      })
      .catch(setError);
  }, []);
  if (error)
    return (
      <main id="main" tabIndex={-1}>
        <h1>{strings.app_name}</h1>
        <p>{error.code === 'UNAUTHENTICATED' ? strings.not_signed_in : ''}</p>
        <ErrorNote error={error} />
      </main>
    );
  if (!me) return <Loading />;
  const screens = kScreens.filter((s) => allowed(me, s));
  const session = path.match(/^\/coach\/session\/(.+)$/);
  const screen = screens.find((s) => s.path === path);
  let view;
  if (session && me.roles.includes('coach')) view = <SessionScreen me={me} relationship={decodeURIComponent(session[1])} />;
  else if (screen) view = <screen.view me={me} navigate={navigate} />;
  else view = <Home me={me} screens={screens} navigate={navigate} />;
  return (
    <>
      <a class="skip" href="#main">
        {strings.skip_to_content}
      </a>
      <header>
        <h1>
          <a href="/" onClick={navigate}>
            {strings.app_name}
          </a>
        </h1>
        <span class="who">{me.name}</span>
        <button
          type="button"
          onClick={async () => {
            await signOut();
            location.assign('/signed-out');
          }}
        >
          {strings.sign_out}
        </button>
      </header>
      <nav aria-label={strings.nav_label}>
        <ul>
          <li>
            <a href="/" onClick={navigate} aria-current={path === '/' ? 'page' : undefined}>
              {strings.nav.home}
            </a>
          </li>
          {screens.map((s) => (
            <li key={s.path}>
              <a href={s.path} onClick={navigate} aria-current={path === s.path ? 'page' : undefined}>
                {strings.nav[s.nav]}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        <Guard key={path}>{view}</Guard>
      </main>
      <Live />
    </>
  );
}

function SignedOut() {
  return (
    <main id="main">
      <h1>{strings.signed_out_title}</h1>
      <p>{strings.signed_out_body}</p>
    </main>
  );
}

render(location.pathname === '/signed-out' ? <SignedOut /> : <App />, document.getElementById('app'));
