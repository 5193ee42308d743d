/**
 * The three pages behind links that the server sends out (first-owner setup, email verification,
 * invitation). Plain HTML and one script file: the strict CSP allows no inline script.
 */
type Page = 'setup' | 'verify-email' | 'invite' | 'reset-password';

const bodies: Record<Page, string> = {
  setup: `<h1>Set up Enclave</h1>
<p>Create the first owner account. This link works once.</p>
<form id="form">
  <label>Name <input name="name" required maxlength="100"></label>
  <label>Email <input name="email" type="email" required></label>
  <label>Password (12 characters or more) <input name="password" type="password" minlength="12" required></label>
  <button>Create owner account</button>
</form>`,
  'verify-email': `<h1>Confirm your email</h1>
<form id="form"><button>Confirm my email address</button></form>`,
  'reset-password': `<h1>Choose a new password</h1>
<form id="form">
  <label>New password (12 characters or more) <input name="password" type="password" minlength="12" required></label>
  <button>Set password</button>
</form>`,
  invite: `<h1>Join a workspace</h1>
<p>Sign in with the address the invitation was sent to, then accept.</p>
<form id="form"><button>Accept invitation</button></form>`,
};

export function pageHtml(page: Page): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Enclave</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
</head><body data-page="${page}">
<main>${bodies[page]}<p id="status" role="status"></p></main>
<script src="/assets/pages.js"></script>
</body></html>`;
}

export const PAGES_SCRIPT = `'use strict';
(function () {
  var page = document.body.dataset.page;
  var params = new URLSearchParams(location.search);
  var status = document.getElementById('status');
  function post(path, body) {
    return fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), credentials: 'same-origin' })
      .then(function (r) { return r.status === 204 ? {} : r.json().then(function (j) { if (!r.ok) throw new Error(j.error.message); return j; }); });
  }
  document.getElementById('form').addEventListener('submit', function (e) {
    e.preventDefault();
    var f = new FormData(e.target);
    var done;
    if (page === 'setup') done = post('/api/v1/setup', { token: params.get('token'), name: f.get('name'), email: f.get('email'), password: f.get('password') });
    if (page === 'reset-password') done = post('/api/v1/auth/password-reset/confirm', { token: params.get('token'), newPassword: f.get('password') });
    if (page === 'verify-email') done = post('/api/v1/auth/verify-email', { token: params.get('token') });
    if (page === 'invite') done = post('/api/v1/workspaces/' + encodeURIComponent(params.get('workspace')) + '/invitations/accept', { token: params.get('token') });
    done.then(function () { status.textContent = 'Done.'; }, function (err) { status.textContent = err.message; });
  });
})();
`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A link for a `mailto:` or `https:` contact; anything else is shown as text, never as a link. */
function contactHtml(contact: string): string {
  const text = escapeHtml(contact.replace(/^mailto:/i, ''));
  return /^(mailto|https):/i.test(contact) ? `<a href="${escapeHtml(contact)}">${text}</a>` : text;
}

/**
 * The page `security.txt` names as its `Policy:`: how to report a problem, to whom, and what the
 * server promises in brief. No script and no style, so the strict CSP holds as it is.
 */
export function securityPageHtml(contact: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Enclave: reporting a security problem</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
</head><body>
<main>
<h1>Reporting a security problem</h1>
<p>If you think you have found a security problem in Enclave or in this server, write to
<strong>${contactHtml(contact)}</strong>. Please say what you found, how to reproduce it and what
it lets someone do. Do not test against other people's data, and give us time to fix the problem
before you publish it.</p>
<h2>What this server promises</h2>
<ul>
<li>Each workspace is its own database file, encrypted with its own key; keys are kept wrapped by a master key that only the server's user can read.</li>
<li>A workspace's data is reachable only by its members, with permissions checked in one place for every operation.</li>
<li>Every change writes an audit event in the same transaction, to a log that is append-only and hash-chained.</li>
<li>Passwords are hashed with argon2id; session and one-time tokens are stored only as hashes; signing out ends the session on the server.</li>
<li>Desktop devices hold their own keys; revoking a device takes effect at once.</li>
<li>Every input is checked against a schema and refused with a clear error; secrets are never written to the logs.</li>
</ul>
<p>Each of these claims, the test that proves it, and what Enclave does not do yet are listed in
<code>SECURITY.md</code>, which ships with the server's source. The machine-readable contact is
<a href="/.well-known/security.txt">/.well-known/security.txt</a>.</p>
</main>
</body></html>`;
}
