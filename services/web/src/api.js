// The gateway's API from the browser: the session's cookie rides along, its CSRF token goes on
// every write. Errors carry coachd's code and message, and what to do about them.
import { strings } from './strings.js';

let csrf = '';

export class ApiError extends Error {
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
  get advice() {
    return strings.error_what_to_do[this.code] ?? strings.error_what_to_do.default;
  }
}

async function parse(response) {
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    throw new ApiError('INTERNAL', `unreadable answer (HTTP ${response.status})`, response.status);
  }
  if (!response.ok) throw new ApiError(body.code ?? 'INTERNAL', body.message ?? text, response.status);
  return body;
}

export async function loadSession() {
  const s = await parse(await fetch('/v1/session', { credentials: 'same-origin' }));
  csrf = s.csrf_token;
  return s;
}

// POST /v1/{service}/{method} with the request as JSON; the reply as an object.
export async function call(service, method, request = {}) {
  let response;
  try {
    response = await fetch(`/v1/${service}/${method}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify(request),
    });
  } catch (e) {
    throw new ApiError('UNAVAILABLE', `the gateway did not answer (${e.message})`, 0);
  }
  return parse(response);
}

export async function signOut() {
  await fetch('/v1/session/logout', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'X-CSRF-Token': csrf },
  });
}
