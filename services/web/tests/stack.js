// A real coachd (SQLite store in a temporary directory) with the domain plugins, and a
// coach-gateway serving the built app in front of it; stopped when the tests end. The people are
// tests/people.csv. Binaries come from COACH_BUILD_DIR (default: build/dev).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const build = resolve(root, process.env.COACH_BUILD_DIR ?? 'build/dev');

function freePort() {
  return new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

async function until(what, test, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (await test()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not start in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export default async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'coach-web-'));
  const endpoint = `ipc://${dir}/req.sock`;
  writeFileSync(
    join(dir, 'coachd.yaml'),
    [
      'store:',
      `  sqlite:\n    path: ${dir}/coachd.db`,
      'log:\n  level: info',
      `bus:\n  request_endpoint: ${endpoint}\n  event_endpoint: ipc://${dir}/ev.sock`,
      `plugin_dirs:\n  - ${build}/lib/coach/plugins`,
      'plugins:',
      '  behavior_styles: {}\n  motivation_keys: {}\n  service_followup: {}\n  coaching_sessions: {}\n  webhooks: {}',
      '',
    ].join('\n'),
  );
  // Their logs stay in the directory, named when something fails to start.
  const coachd = spawn(`${build}/bin/coachd`, ['--config', join(dir, 'coachd.yaml')], {
    stdio: ['ignore', 'ignore', openSync(join(dir, 'coachd.log'), 'w')],
  });
  console.log(`coachd and coach-gateway log to ${dir}`);
  const ctl = (...args) => execFileSync(`${build}/bin/coachctl`, ['-e', endpoint, ...args], { encoding: 'utf8' });
  await until('coachd', () => ctl('call', 'coachd', 'Health').includes('serving'));
  ctl('people', 'import', join(here, 'people.csv'));
  // ana rated herself and observed a customer (the behavior_styles worked example).
  ctl('--as', 'ana', 'call', 'behavior_styles', 'SubmitAssessment',
    '{"person_id":"ana","role":"RATER_ROLE_SELF","answers":[4,1,3,2,1,4,3,2,3,2,4,1,2,3,4,1,3,3,2,2,4,1,3,3,1,1,3,2,2,3]}');
  ctl('--as', 'ana', 'call', 'behavior_styles', 'RecordObservations',
    '{"salesperson_id":"ana","account_id":"acme","observations":[{"cue":"CUE_PACE","value":1},{"cue":"CUE_TELLS_VS_ASKS","value":1},{"cue":"CUE_DECISIONS","value":2},{"cue":"CUE_SHOWS_FEELINGS","value":4},{"cue":"CUE_BIG_PICTURE","value":3},{"cue":"CUE_RELATIONSHIP","value":4}]}');
  ctl('call', 'service_followup', 'OpenCase',
    JSON.stringify({ case_id: 'c-100', account_id: 'acme', salesperson_id: 'ana', agent_id: 'zoe', subject: 'Invoice shows the old price' }));
  const port = await freePort();
  const gateway = spawn(
    `${build}/bin/coach-gateway`,
    ['--listen', `127.0.0.1:${port}`, '-e', endpoint, '--web-root', resolve(here, '../dist'), '--log-level', 'warn'],
    { stdio: ['ignore', 'ignore', openSync(join(dir, 'gateway.log'), 'w')] },
  );
  const base = `http://127.0.0.1:${port}`;
  await until('coach-gateway', async () => (await fetch(`${base}/readyz`)).ok);
  process.env.COACH_WEB_BASE = base;
  process.env.COACH_WEB_ENDPOINT = endpoint;
  process.env.COACHCTL = `${build}/bin/coachctl`;
  return async () => {
    gateway.kill('SIGTERM');
    coachd.kill('SIGTERM');
  };
}
