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
