import { createUser, createWorkspace, startTestServer } from '../../server/src/test-support/test-server';

/**
 * The server the HTTP benchmark loads, in a process of its own as `npm start` would run it: the
 * production page cache and request log (to stdout, which the benchmark discards), and write
 * limits raised so that the limiter never answers instead of the server. It prints one line on
 * stderr — its address, an owner's session and a workspace — and runs until it is killed.
 */
const t = await startTestServer({
  env: { ENCLAVE_DB_CACHE_KIB: '32768', ENCLAVE_WRITE_RATE_PER_USER: '1000000' },
  logTo: process.stdout,
});
const owner = await createUser(t, { name: 'Bench Owner' });
const workspaceId = await createWorkspace(owner, 'Bench');
process.stderr.write(
  `${JSON.stringify({ url: t.url, cookie: owner.cookie, origin: owner.origin, workspaceId })}\n`,
);
process.on('SIGTERM', () => {
  void t.close().then(() => process.exit(0));
});
