/**
 * `tonet import ssmix2 <root>`: walks a standardized storage and sends each file to POST /hl7/v2 as a
 * gateway client. Files breaking the layout rules are refused locally; superseded versions (flag 2) are
 * skipped; deletions (flag 0) are sent as deletions. A state file remembers finished files, so an
 * interrupted import resumes, and a re-run sends nothing (the server would change nothing anyway).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseStoragePath, storageOrder, StorageFile, toRelative } from '../ingest/ssmix2-layout';
import { GatewayClient, ImportState, sha256, walkFiles } from './gateway-client';
import { Progress } from './progress';

export interface ImportOptions {
  root: string;
  server: string;
  clientId: string;
  clientSecret: string;
  statePath?: string;
}

export interface ImportSummary {
  accepted: number;
  rejected: { file: string; reason: string }[];
  superseded: number;
  skipped: number;
}

export async function importSsmix2(options: ImportOptions): Promise<ImportSummary> {
  const root = path.resolve(options.root);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new Error(`${root}: not a directory`);
  const state = new ImportState(options.statePath ?? ImportState.defaultPath('ssmix2', root, options.server));

  const summary: ImportSummary = { accepted: 0, rejected: [], superseded: 0, skipped: 0 };
  const valid: StorageFile[] = [];
  const broken: { relativePath: string; error: string }[] = [];
  for (const file of walkFiles(root)) {
    const relative = toRelative(root, file);
    const { file: parsed, error } = parseStoragePath(relative);
    if (parsed) valid.push(parsed);
    else broken.push({ relativePath: relative, error: error ?? 'unreadable path' });
  }
  valid.sort(storageOrder);

  const client = new GatewayClient(options.server, options.clientId, options.clientSecret);
  const progress = new Progress('ssmix2', valid.length);
  const counts = () => ({ accepted: summary.accepted, rejected: summary.rejected.length, superseded: summary.superseded, skipped: summary.skipped });
  let done = 0;
  for (const file of valid) {
    done++;
    if (file.condition === '2') {
      summary.superseded++;
      continue;
    }
    const bytes = fs.readFileSync(path.join(root, file.relativePath));
    const hash = sha256(bytes);
    if (state.isDone(file.relativePath, hash)) {
      summary.skipped++;
      progress.update(done, counts());
      continue;
    }
    const { code, ack } = await send(client, bytes, file);
    if (code === 'AA') {
      summary.accepted++;
      state.markDone(file.relativePath, hash);
      state.save();
    } else {
      summary.rejected.push({ file: file.relativePath, reason: `${code}: ${ackErrors(ack)}` });
    }
    progress.update(done, counts());
  }
  // The server refuses these by the same layout rules, and keeps them in its inbox for review.
  for (const file of broken) {
    const bytes = fs.readFileSync(path.join(root, file.relativePath));
    const kept = await send(client, bytes, file).then(
      ({ ack }) => `, kept in the inbox (${ackErrors(ack)})`,
      (err: Error) => `, not kept: ${err.message}`
    );
    summary.rejected.push({ file: file.relativePath, reason: `layout: ${file.error}${kept}` });
  }
  progress.finish(done, counts());
  return summary;
}

/** The MSA text and ERR-8 messages of an ACK, for the summary. */
function ackErrors(ack: string): string {
  const lines = ack.split(/\r|\n/).filter(Boolean);
  const errs = lines.filter((l) => l.startsWith('ERR')).map((l) => {
    const f = l.split('|');
    return `${f[2] ? f[2] + ' ' : ''}${f[8] ?? f[3] ?? ''}`.trim();
  });
  const msa = lines.find((l) => l.startsWith('MSA'))?.split('|')[3];
  return errs.length ? errs.join('; ') : (msa ?? 'no reason given');
}

async function send(client: GatewayClient, bytes: Buffer, file: Pick<StorageFile, 'relativePath'> & { condition?: StorageFile['condition'] }): Promise<{ code: string; ack: string }> {
  const res = await client.post(
    '/hl7/v2',
    { 'content-type': 'x-application/hl7-v2+er7', 'x-ssmix2-file': encodeURIComponent(file.relativePath), ...(file.condition ? { 'x-ssmix2-condition': file.condition } : {}) },
    bytes
  );
  const ack = await res.text();
  if (res.status !== 200) throw new Error(`${file.relativePath}: server answered ${res.status}: ${ack.slice(0, 300)}`);
  return { code: res.headers.get('x-ack-code') ?? 'AE', ack };
}
