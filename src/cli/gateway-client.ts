/**
 * What both batch importers (SS-MIX2 storage, DICOM folders) need: walking a folder in a stable order,
 * talking to a Tonet server as a client (token fetched once, refreshed once on a 401; `tonet client` uses it
 * with the administrator's credentials), and a state file that remembers what was sent, by content hash, so
 * an interrupted import resumes.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Every file below `dir`, depth first, in name order (so runs and their progress are repeatable). */
export function* walkFiles(dir: string): Generator<string> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walkFiles(full);
    else if (entry.isFile()) yield full;
  }
}

export class GatewayClient {
  private token?: string;

  constructor(
    readonly server: string,
    private readonly clientId: string,
    private readonly clientSecret: string
  ) {}

  /** POSTs with the bearer token; an expired token is replaced once. */
  post(urlPath: string, headers: Record<string, string>, body: Buffer | string): Promise<Response> {
    return this.request('POST', urlPath, headers, body);
  }

  /** Any request with the bearer token; an expired token is replaced once. */
  async request(method: string, urlPath: string, headers: Record<string, string> = {}, body?: Buffer | string): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${this.base()}${urlPath}`, { method, headers: { ...headers, authorization: `Bearer ${await this.accessToken(attempt > 0)}` }, body });
      if (res.status !== 401 || attempt > 0) return res;
    }
  }

  private base(): string {
    return this.server.replace(/\/+$/, '');
  }

  private async accessToken(refresh: boolean): Promise<string> {
    if (this.token && !refresh) return this.token;
    const res = await fetch(`${this.base()}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: this.clientId, client_secret: this.clientSecret }),
    });
    if (res.status !== 200) throw new Error(`token request to ${this.server} failed: ${res.status} ${await res.text()}`);
    this.token = ((await res.json()) as { access_token: string }).access_token;
    return this.token;
  }
}

/** Sent files by relative path → SHA-256 of their bytes, written atomically after every change. */
export class ImportState {
  private readonly hashes: Record<string, string>;

  constructor(private readonly filePath: string) {
    this.hashes = fs.existsSync(filePath) ? JSON.parse(fs.readFileSync(filePath, 'utf8')) : {};
  }

  /**
   * The default state file for an import of `root` into `server`: in TONET_STATE_DIR, else the user's state
   * folder (XDG_STATE_HOME, ~/.local/state), never the folder the command happens to run in.
   */
  static defaultPath(kind: string, root: string, server: string, env: NodeJS.ProcessEnv = process.env): string {
    const key = createHash('sha1').update(`${path.resolve(root)}|${server}`).digest('hex').slice(0, 12);
    return path.join(stateDirectory(env), 'imports', `${kind}-${key}.json`);
  }

  isDone(relativePath: string, hash: string): boolean {
    return this.hashes[relativePath] === hash;
  }

  markDone(relativePath: string, hash: string): void {
    this.hashes[relativePath] = hash;
  }

  save(): void {
    fs.mkdirSync(path.dirname(this.filePath), { recursive: true });
    fs.writeFileSync(`${this.filePath}.tmp`, JSON.stringify(this.hashes));
    fs.renameSync(`${this.filePath}.tmp`, this.filePath);
  }
}

export function stateDirectory(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TONET_STATE_DIR) return path.resolve(env.TONET_STATE_DIR);
  return path.join(env.XDG_STATE_HOME ? path.resolve(env.XDG_STATE_HOME) : path.join(os.homedir(), '.local', 'state'), 'tonet');
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
