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
