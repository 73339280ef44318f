/**
 * TokenService keeps the tokens whose signature it checked (tokens.ts): what that cache may never do is
 * accept bytes it did not verify, or a token past its expiry because it was verified before.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SigningKey } from '../../src/auth/jwt';
import { TokenService } from '../../src/auth/tokens';
import type { ServerSettings } from '../../src/store/server-settings';

const ISSUER = 'http://127.0.0.1:8080';
const CLIENT = { clientId: 'lab-gateway', name: 'lab', role: 'gateway' as const, organization: 'Organization/lab', generation: 3, active: true };

async function service(lifetimeSeconds: number): Promise<TokenService> {
  // A configured key: the settings store is never asked.
  return TokenService.create(undefined as unknown as ServerSettings, JSON.stringify(SigningKey.generate().privateJwk), ISSUER, lifetimeSeconds);
}

test('a token verified before answers with the same claims, and a copy the caller may change', async () => {
  const tokens = await service(300);
  const token = tokens.issue(CLIENT);
  const first = tokens.verify(token);
  expect(first).toMatchObject({ clientId: 'lab-gateway', role: 'gateway', organization: 'Organization/lab', generation: 3 });
  first.organization = 'Organization/someone-else';
  expect(tokens.verify(token).organization).toBe('Organization/lab');
});

test('bytes changed after a token was verified are refused: the signature no longer matches', async () => {
  const tokens = await service(300);
  const token = tokens.issue(CLIENT);
  tokens.verify(token);
  const [header, body, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  const raised = Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url');
  expect(() => tokens.verify(`${header}.${raised}.${signature}`)).toThrow('Invalid access token');
  const flipped = signature.slice(0, -2) + (signature.endsWith('AA') ? 'BB' : 'AA');
  expect(() => tokens.verify(`${header}.${body}.${flipped}`)).toThrow('Invalid access token');
});

test('a token verified while valid is refused once it has expired', async () => {
  const tokens = await service(1);
  const token = tokens.issue(CLIENT);
  expect(tokens.verify(token).clientId).toBe('lab-gateway');
  await sleep(2100);
  expect(() => tokens.verify(token)).toThrow('Access token expired');
});

test('a token of another key is refused even while one of this key is kept', async () => {
  const ours = await service(300);
  const theirs = await service(300);
  ours.verify(ours.issue(CLIENT));
  expect(() => ours.verify(theirs.issue(CLIENT))).toThrow('Invalid access token');
});
