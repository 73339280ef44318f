/**
 * `tonet client list|create|deactivate|rotate`: the office's client registry from the command line. It is a
 * client of the admin API (`/admin/clients`) with an administrator's credentials, so every change is
 * audited like one made over HTTP, and it works while the server holds the embedded database.
 */
import { GatewayClient } from './gateway-client';
import { formatTable, refusalText } from './table';

export interface ClientCommandFlags {
  server?: string;
  'client-id'?: string;
  'client-secret'?: string;
  name?: string;
  role?: string;
  organization?: string;
  patient?: string;
}

export const CLIENT_USAGE = `usage: tonet client list|create|deactivate <id>|rotate <id> --server <url> --client-id <admin id> --client-secret <admin secret>
       tonet client create --name <name> --role <role> [--organization Organization/<id>] [--patient Patient/<id>] …
`;

interface ListedClient {
  client_id: string;
  name: string;
  role: string;
  organization?: string;
  patient?: string;
  active: boolean;
  created: string;
}

/** Runs one subcommand; the exit status is 0, 1 when the server refused, 2 for a usage error. */
export async function runClientCommand(args: string[], flags: ClientCommandFlags, out: (text: string) => void, err: (text: string) => void): Promise<number> {
  const [action, target] = args;
  const server = flags.server ?? process.env.TONET_SERVER;
  const adminId = flags['client-id'] ?? process.env.TONET_CLIENT_ID;
  const adminSecret = flags['client-secret'] ?? process.env.TONET_CLIENT_SECRET;
  const needsTarget = action === 'deactivate' || action === 'rotate';
  if (!['list', 'create', 'deactivate', 'rotate'].includes(action) || (needsTarget && !target) || !server || !adminId || !adminSecret) {
    err(CLIENT_USAGE);
    return 2;
  }
  const api = new GatewayClient(server, adminId, adminSecret);
  const call = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown> | undefined> => {
    const res = await api.request(method, path, body ? { 'content-type': 'application/json' } : {}, body ? JSON.stringify(body) : undefined);
    const answer = (await res.json()) as Record<string, unknown>;
    if (res.ok) return answer;
    err(`tonet client ${action}: ${res.status} ${refusalText(answer)}\n`);
    return undefined;
  };

  if (action === 'list') {
    const answer = await call('GET', '/admin/clients');
    if (!answer) return 1;
    out(table(answer.clients as ListedClient[]));
    return 0;
  }
  if (action === 'create') {
    if (!flags.name || !flags.role) {
      err(CLIENT_USAGE);
      return 2;
    }
    const answer = await call('POST', '/admin/clients', { name: flags.name, role: flags.role, organization: flags.organization, patient: flags.patient });
    if (!answer) return 1;
    out(`client_id:     ${answer.client_id}\nclient_secret: ${answer.client_secret}\n(the secret is shown only this once)\n`);
    return 0;
  }
  const answer = await call('POST', `/admin/clients/${encodeURIComponent(target)}/${action}`);
  if (!answer) return 1;
  out(action === 'rotate' ? `client_id:     ${answer.client_id}\nclient_secret: ${answer.client_secret}\n(the new secret is shown only this once; the old one and its tokens no longer work)\n` : `deactivated ${answer.client_id}; its tokens no longer work\n`);
  return 0;
}

/** One line per client. */
function table(clients: ListedClient[]): string {
  return formatTable([
    ['CLIENT ID', 'NAME', 'ROLE', 'FACILITY', 'ACTIVE', 'CREATED'],
    ...clients.map((c) => [c.client_id, c.name, c.role, c.organization ?? c.patient ?? '-', c.active ? 'yes' : 'no', c.created]),
  ]);
}
