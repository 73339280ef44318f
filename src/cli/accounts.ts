/**
 * `tonet account list|create|suspend|reactivate|unlock|offboard`: the people who log in, from the command
 * line. Like `tonet client`, it is a client of the admin API (`/admin/accounts`) with an administrator's
 * credentials, so every change is audited as one made over HTTP, and it works while the server holds the
 * embedded database. An account is named by its username or its id.
 */
import { GatewayClient } from './gateway-client';
import { formatTable, refusalText } from './table';

export interface AccountCommandFlags {
  server?: string;
  'client-id'?: string;
  'client-secret'?: string;
  kind?: string;
  username?: string;
  name?: string;
  practitioner?: string;
  patient?: string;
  /** "Organization/<id>:<role>", once per facility. */
  facility?: string[];
  totp?: boolean;
}

export const ACCOUNT_USAGE = `usage: tonet account list|create|suspend <user>|reactivate <user>|unlock <user>|offboard <user> --server <url> --client-id <admin id> --client-secret <admin secret>
       tonet account create --kind practitioner|resident|office --username <name> --name <display name>
                            [--practitioner Practitioner/<id> --facility Organization/<id>:doctor|nurse|clerk|emergency …]
                            [--patient Patient/<id>] [--totp] …
`;

const CHANGES = ['suspend', 'reactivate', 'unlock', 'offboard'];

interface ListedAccount {
  id: string;
  username: string;
  kind: string;
  name: string;
  facilities: { organization: string; role: string }[];
  patient?: string;
  status: string;
  totp: boolean;
  lockedUntil?: string;
}

/** Runs one subcommand; the exit status is 0, 1 when the server refused, 2 for a usage error. */
export async function runAccountCommand(args: string[], flags: AccountCommandFlags, out: (text: string) => void, err: (text: string) => void): Promise<number> {
  const [action, target] = args;
  const server = flags.server ?? process.env.TONET_SERVER;
  const adminId = flags['client-id'] ?? process.env.TONET_CLIENT_ID;
  const adminSecret = flags['client-secret'] ?? process.env.TONET_CLIENT_SECRET;
  if (!['list', 'create', ...CHANGES].includes(action) || (CHANGES.includes(action) && !target) || !server || !adminId || !adminSecret) {
    err(ACCOUNT_USAGE);
    return 2;
  }
  const api = new GatewayClient(server, adminId, adminSecret);
  const call = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown> | undefined> => {
    const res = await api.request(method, path, body ? { 'content-type': 'application/json' } : {}, body ? JSON.stringify(body) : undefined);
    const answer = (await res.json()) as Record<string, unknown>;
    if (res.ok) return answer;
    err(`tonet account ${action}: ${res.status} ${refusalText(answer)}\n`);
    return undefined;
  };

  if (action === 'list') {
    const answer = await call('GET', '/admin/accounts');
    if (!answer) return 1;
    out(table(answer.accounts as ListedAccount[]));
    return 0;
  }
  if (action === 'create') {
    const facilities = facilitiesOf(flags.facility ?? []);
    if (!flags.kind || !flags.username || !flags.name || !facilities) {
      err(ACCOUNT_USAGE);
      return 2;
    }
    const body = { kind: flags.kind, username: flags.username, name: flags.name, practitioner: flags.practitioner, patient: flags.patient, ...(facilities.length ? { facilities } : {}), ...(flags.totp ? { totp: true } : {}) };
    const answer = await call('POST', '/admin/accounts', body);
    if (!answer) return 1;
    out(
      `id:       ${answer.id}\nusername: ${answer.username}\npassword: ${answer.password}\n` +
        (answer.totpSecret ? `totp:     ${answer.totpSecret}\nrecovery: ${(answer.recoveryCodes as string[]).join(' ')}\n` : '') +
        '(shown only this once)\n'
    );
    return 0;
  }
  const listed = await call('GET', '/admin/accounts');
  if (!listed) return 1;
  const account = (listed.accounts as ListedAccount[]).find((a) => a.username === target || a.id === target);
  if (!account) {
    err(`tonet account ${action}: no account ${target}\n`);
    return 1;
  }
  const changed = await call('POST', `/admin/accounts/${encodeURIComponent(account.id)}/${action}`);
  if (!changed) return 1;
  out(`${changed.username}: ${changed.status}${action === 'unlock' ? ', unlocked' : ''}${changed.status === 'active' ? '' : '; its logins and tokens have ended'}\n`);
  return 0;
}

/** "Organization/<id>:<role>" flags as the API's facilities; undefined when one is malformed. */
function facilitiesOf(values: string[]): { organization: string; role: string }[] | undefined {
  const facilities = values.map((value) => /^(Organization\/[A-Za-z0-9\-.]{1,64}):([a-z]+)$/.exec(value));
  if (facilities.some((match) => !match)) return undefined;
  return facilities.map((match) => ({ organization: match![1], role: match![2] }));
}

function table(accounts: ListedAccount[]): string {
  return formatTable([
    ['USERNAME', 'NAME', 'KIND', 'FACILITIES', 'STATUS', 'TOTP', 'LOCKED UNTIL'],
    ...accounts.map((a) => [
      a.username,
      a.name,
      a.kind,
      a.facilities.length ? a.facilities.map((f) => `${f.organization}:${f.role}`).join(',') : (a.patient ?? '-'),
      a.status,
      a.totp ? 'yes' : 'no',
      a.lockedUntil ?? '-',
    ]),
  ]);
}
