import { readFileSync } from 'node:fs';
import { AuditReceipt, issuesOf } from '@enclave/shared';

/** A receipt file that cannot be used, said as what is wrong with it. */
export class ReceiptFileError extends Error {}

/** Reads an audit receipt saved from `GET …/audit/receipt`. */
export function readReceiptFile(path: string): AuditReceipt {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ReceiptFileError(`cannot read the receipt file ${path}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ReceiptFileError(`the receipt file ${path} is not JSON`);
  }
  const parsed = AuditReceipt.safeParse(json);
  if (!parsed.success) {
    const issues = issuesOf(parsed.error).map((i) => `${i.path || '(root)'}: ${i.message}`);
    throw new ReceiptFileError(`the receipt file ${path} is not an audit receipt (${issues.join('; ')})`);
  }
  return parsed.data;
}

/**
 * Takes `--receipt <file>` out of the command-line arguments and reads the receipt. A receipt names
 * its workspace: it becomes the workspace argument if there is none, and must match it if there is.
 */
export function takeReceiptArg(args: string[]): AuditReceipt | undefined {
  const flag = args.indexOf('--receipt');
  if (flag < 0) return undefined;
  const [, path] = args.splice(flag, 2);
  if (!path) throw new ReceiptFileError('--receipt needs the path of a receipt file');
  const receipt = readReceiptFile(path);
  args[0] ??= receipt.workspaceId;
  if (args[0] !== receipt.workspaceId)
    throw new ReceiptFileError(`the receipt is for workspace ${receipt.workspaceId}, not ${args[0]}`);
  return receipt;
}
