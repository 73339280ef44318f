/**
 * `tonet import dicom <dir>`: the nightly image batch. Walks a folder, reads each file locally (what is not
 * DICOM is reported, not sent), and sends the rest to STOW-RS in requests of bounded size as a gateway client.
 * A state file remembers stored files by content hash, so an interrupted import resumes; a re-run without it
 * changes nothing either, since the server stores by content and merges by UID.
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildMultipart } from '../dicomweb/multipart';
import { DicomError, readDicomInstance } from '../mapping/dicom';
import { GatewayClient, ImportState, sha256, walkFiles } from './gateway-client';
import { Progress } from './progress';

export interface DicomImportOptions {
  root: string;
  server: string;
  clientId: string;
  clientSecret: string;
  statePath?: string;
  /** Upper bound of one STOW-RS request body; a single larger file goes alone. Stay under the server's TONET_BODY_LIMIT. */
  maxRequestBytes?: number;
  progressStream?: NodeJS.WriteStream;
}

export interface DicomImportSummary {
  stored: number;
  failed: { file: string; reason: string }[];
  /** Unchanged since a previous run stored them (state file). */
  skipped: number;
}

interface QueuedFile {
  relativePath: string;
  bytes: Buffer;
  hash: string;
  sopInstanceUid: string;
}

const DEFAULT_MAX_REQUEST_BYTES = 8 * 1024 * 1024;

export async function importDicom(options: DicomImportOptions): Promise<DicomImportSummary> {
  const root = path.resolve(options.root);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new Error(`${root}: not a directory`);
  const state = new ImportState(options.statePath ?? ImportState.defaultPath('dicom', root, options.server));
  const files = [...walkFiles(root)].map((file) => path.relative(root, file).split(path.sep).join('/'));
  const client = new StowClient(new GatewayClient(options.server, options.clientId, options.clientSecret));
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;

  const summary: DicomImportSummary = { stored: 0, failed: [], skipped: 0 };
  const progress = new Progress('dicom', files.length, options.progressStream);
  const counts = () => ({ stored: summary.stored, failed: summary.failed.length, skipped: summary.skipped });
  let done = 0;
  let batch: QueuedFile[] = [];
  let batchBytes = 0;

  const flush = async () => {
    if (!batch.length) return;
    const outcomes = await client.send(batch);
    for (const file of batch) {
      const failure = outcomes.get(file.sopInstanceUid) ?? 'the server did not mention this instance in its answer';
      if (failure === true) {
        summary.stored++;
        state.markDone(file.relativePath, file.hash);
      } else {
        summary.failed.push({ file: file.relativePath, reason: failure });
      }
    }
    state.save();
    done += batch.length;
    batch = [];
    batchBytes = 0;
    progress.update(done, counts());
  };

  for (const relativePath of files) {
    const bytes = fs.readFileSync(path.join(root, relativePath));
    const hash = sha256(bytes);
    if (state.isDone(relativePath, hash)) {
      summary.skipped++;
      progress.update(++done, counts());
      continue;
    }
    const sopInstanceUid = sopInstanceUidOf(bytes);
    if (typeof sopInstanceUid !== 'string') {
      summary.failed.push({ file: relativePath, reason: sopInstanceUid.error });
      progress.update(++done, counts());
      continue;
    }
    if (batch.length && batchBytes + bytes.length > maxRequestBytes) await flush();
    batch.push({ relativePath, bytes, hash, sopInstanceUid });
    batchBytes += bytes.length;
  }
  await flush();
  progress.finish(done, counts());
  return summary;
}

/** The SOP Instance UID that the STOW-RS answer will name, or why the file will not be sent. */
function sopInstanceUidOf(bytes: Buffer): string | { error: string } {
  try {
    return readDicomInstance(bytes).sopInstanceUid;
  } catch (err) {
    if (err instanceof DicomError) return { error: err.message };
    throw err;
  }
}

type DicomJson = Record<string, { Value?: Record<string, { Value?: unknown[] }>[] }>;

class StowClient {
  constructor(private readonly gateway: GatewayClient) {}

  /** SOP Instance UID → true when stored, else the server's reason. */
  async send(files: QueuedFile[]): Promise<Map<string, true | string>> {
    const { contentType, body } = buildMultipart(files.map((file) => ({ contentType: 'application/dicom', body: file.bytes })), 'application/dicom');
    const res = await this.gateway.post('/dicomweb/studies', { 'content-type': contentType, accept: 'application/dicom+json' }, body);
    if (![200, 202, 409].includes(res.status)) {
      // The whole request was refused (too large, bad media type, not allowed): every file in it failed alike.
      const reason = `server answered ${res.status}: ${(await res.text()).slice(0, 300)}`;
      return new Map(files.map((file) => [file.sopInstanceUid, reason]));
    }
    return outcomesOf((await res.json()) as DicomJson);
  }
}

/** Referenced SOP Sequence (0008,1199) → stored; Failed SOP Sequence (0008,1198) → Error Comment or the Failure Reason code. */
function outcomesOf(response: DicomJson): Map<string, true | string> {
  const outcomes = new Map<string, true | string>();
  for (const item of response['00081198']?.Value ?? []) {
    const uid = item['00081155']?.Value?.[0];
    const code = Number(item['00081197']?.Value?.[0]);
    if (typeof uid === 'string') outcomes.set(uid, String(item['00000902']?.Value?.[0] ?? `Failure Reason 0x${code.toString(16).toUpperCase()}`));
  }
  for (const item of response['00081199']?.Value ?? []) {
    const uid = item['00081155']?.Value?.[0];
    if (typeof uid === 'string') outcomes.set(uid, true);
  }
  return outcomes;
}
