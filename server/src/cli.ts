import type { AuditReceipt } from '@enclave/shared';
import { ReceiptFileError, takeReceiptArg } from './audit/receipt-file';
import { verifyChain } from './audit/verify';
import { loadConfig } from './config';
import { AppError } from './engine/errors';
import { openAuditStore } from './server';
import { describeStartupError } from './startup/startup-error';

const USAGE = `Usage: npm run cli -- <command>

Commands:
  audit:verify [workspaceId] [--receipt <file>]
                               Check the audit hash chain of one workspace (or all) against itself and its
                               signed checkpoints, and against a receipt saved from GET …/audit/receipt;
                               exit 1 if any is broken.
  workspaces:list              List workspaces (id, name, created).

The data directory and master key come from the same environment variables as the server.`;

/** Operator commands that run against the data directory, with the server stopped or running. */
export async function runCli(args: string[], out: (line: string) => void): Promise<number> {
  const [command, ...rest] = args;
  if (command !== 'audit:verify' && command !== 'workspaces:list') {
    out(USAGE);
    return command === undefined || command === 'help' ? 0 : 2;
  }
  let receipt: AuditReceipt | undefined;
  try {
    receipt = takeReceiptArg(rest);
  } catch (error) {
    if (!(error instanceof ReceiptFileError)) throw error;
    out(JSON.stringify({ ok: false, error: 'invalid_receipt', message: error.message }));
    return 2;
  }
  const { store, signer } = openAuditStore(loadConfig());
  try {
    if (receipt && !signer.issued(receipt)) {
      const message = "the receipt was not signed by this server's audit key, or was changed since";
      out(JSON.stringify({ ok: false, error: 'invalid_receipt', message }));
      return 2;
    }
    if (command === 'workspaces:list') {
      for (const w of await store.control.listWorkspaces())
        out(JSON.stringify({ id: w.id, name: w.name, createdAt: w.createdAt }));
      return 0;
    }
    const ids = rest[0] ? [rest[0]] : (await store.control.listWorkspaces()).map((w) => w.id);
    // Every workspace is checked, whatever another one's state: a damaged file fails alone.
    const unavailable = new Map((await store.checkWorkspaces()).map((p) => [p.workspaceId, p.reason]));
    let failed = false;
    for (const id of ids) {
      const reason = unavailable.get(id);
      if (reason) {
        out(JSON.stringify({ workspaceId: id, ok: false, error: 'workspace_unavailable', reason }));
        failed = true;
        continue;
      }
      try {
        const ws = await store.workspace(id);
        if (!ws) {
          out(JSON.stringify({ workspaceId: id, ok: false, error: 'no such workspace' }));
          failed = true;
          continue;
        }
        const result = await verifyChain(ws, { control: store.control, signer, receipt });
        out(JSON.stringify({ workspaceId: id, ...result }));
        failed ||= !result.ok;
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        out(JSON.stringify({ workspaceId: id, ok: false, error: error.code }));
        failed = true;
      }
    }
    return failed ? 1 : 0;
  } finally {
    await store.close();
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  process.umask(0o077);
  runCli(process.argv.slice(2), (line) => process.stdout.write(line + '\n')).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`enclave: ${describeStartupError(error)}\n`);
      process.exit(1);
    },
  );
}
