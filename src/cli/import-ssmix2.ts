/**
 * `tonet import ssmix2 <root>`: walks a standardized storage and sends each file to POST /hl7/v2 as a
 * gateway client. Files breaking the layout rules are refused locally; superseded versions (flag 2) are
 * skipped; deletions (flag 0) are sent as deletions. A state file remembers finished files, so an
 * interrupted import resumes, and a re-run sends nothing (the server would change nothing anyway).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseStoragePath, storageOrder, StorageFile, toRelative } from '../ingest/ssmix2-layout';
import { Progress } from './progress';

export interface ImportOptions {
  root: string;
  server: string;
  clientId: string;
  clientSecret: string;
  statePath?: string;
}

interface FileState {
  hash: string;
  ack: string;
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
  const statePath = options.statePath ?? path.resolve('.tonet-import', `ssmix2-${createHash('sha1').update(root + '|' + options.server).digest('hex').slice(0, 12)}.json`);
  const state: Record<string, FileState> = fs.existsSync(statePath) ? JSON.parse(fs.readFileSync(statePath, 'utf8')) : {};
  const saveState = () => {
    fs.mkdirSync(path.dirname(statePath), { recursive: true });
    fs.writeFileSync(`${statePath}.tmp`, JSON.stringify(state));
    fs.renameSync(`${statePath}.tmp`, statePath);
  };

  const summary: ImportSummary = { accepted: 0, rejected: [], superseded: 0, skipped: 0 };
  const valid: StorageFile[] = [];
  for (const file of walk(root)) {
    const relative = toRelative(root, file);
    const { file: parsed, error } = parseStoragePath(relative);
    if (parsed) valid.push(parsed);
    else summary.rejected.push({ file: relative, reason: `layout: ${error}` });
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
    const hash = createHash('sha256').update(bytes).digest('hex');
    if (state[file.relativePath]?.hash === hash) {
      summary.skipped++;
      progress.update(done, counts());
      continue;
    }
    const { code, ack } = await client.send(bytes, file);
    if (code === 'AA') {
      summary.accepted++;
      state[file.relativePath] = { hash, ack: code };
      saveState();
    } else {
      summary.rejected.push({ file: file.relativePath, reason: `${code}: ${ackErrors(ack)}` });
    }
    progress.update(done, counts());
  }
  progress.finish(done, counts());
  return summary;
}

function* walk(dir: string): Generator<string> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.isFile()) yield full;
  }
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

class GatewayClient {
  private token?: string;

  constructor(
    private readonly server: string,
    private readonly clientId: string,
    private readonly clientSecret: string
  ) {}

  async send(bytes: Buffer, file: StorageFile): Promise<{ code: string; ack: string }> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await fetch(`${this.server.replace(/\/+$/, '')}/hl7/v2`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await this.accessToken(attempt > 0)}`,
          'content-type': 'x-application/hl7-v2+er7',
          'x-ssmix2-file': encodeURIComponent(file.relativePath),
          'x-ssmix2-condition': file.condition,
        },
        body: bytes,
      });
      if (res.status === 401 && attempt === 0) continue;
      const ack = await res.text();
      if (res.status !== 200) throw new Error(`${file.relativePath}: server answered ${res.status}: ${ack.slice(0, 300)}`);
      return { code: res.headers.get('x-ack-code') ?? 'AE', ack };
    }
    throw new Error(`${file.relativePath}: not authorised`);
  }

  private async accessToken(refresh: boolean): Promise<string> {
    if (this.token && !refresh) return this.token;
    const res = await fetch(`${this.server.replace(/\/+$/, '')}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: this.clientId, client_secret: this.clientSecret }),
    });
    if (res.status !== 200) throw new Error(`token request to ${this.server} failed: ${res.status} ${await res.text()}`);
    this.token = ((await res.json()) as { access_token: string }).access_token;
    return this.token;
  }
}
