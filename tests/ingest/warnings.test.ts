/**
 * An accepted message that carries fields Tonet does not map is still AA, but its ACK names each such field in an ERR
 * with severity W, and its inbox record keeps them and their count: nothing is dropped without a word.
 */
import { labResultMessage } from '../support/hl7-messages';
import { startTestServer, TestServer } from '../support/server';
import { setField, withSegment } from '../mapping/hl7v2/helpers';
import { ackCode, createFacility } from './support';

let server: TestServer;
let gatewayToken: string;

beforeAll(async () => {
  server = await startTestServer();
  gatewayToken = await server.clientToken({ role: 'gateway', organization: await createFacility(server) });
});
afterAll(async () => server?.close());

test('unmapped fields: AA with ERR severity W naming segment and field, and a warning count in the inbox', async () => {
  // OBX-9 (probability) is a field no Tonet table maps.
  const lab = labResultMessage({ controlId: 'WARN-1', patientId: 'WARN-P', orderNumber: 'WARN-O', code: '3D046000001920402', name: 'HbA1c', value: '6.1', unit: '%', range: '4.6-6.2', observedAt: '202501011000' });
  const message = withSegment(lab, 'OBX', 1, (line) => setField(line, 9, '0.9'));
  const res = await fetch(`${server.url}/hl7/v2`, { method: 'POST', headers: { authorization: `Bearer ${gatewayToken}`, 'content-type': 'x-application/hl7-v2+er7' }, body: message });
  const ack = await res.text();
  expect(ackCode(ack)).toBe('AA');
  const errs = ack.split('\r').filter((line) => line.startsWith('ERR'));
  expect(errs).toContain('ERR||OBX^1^9|0^Message accepted^HL70357|W||||OBX-9 is not mapped by Tonet; the message keeps it in the inbox');
  expect(errs.every((line) => line.split('|')[4] === 'W')).toBe(true);

  const inbox = await fetch(`${server.url}/admin/inbox?status=processed`, { headers: { authorization: `Bearer ${server.adminToken}` } }).then((r) => r.json() as Promise<{ items: { id: string; warnings: number; error: { segment: string; field: number }[] }[] }>);
  const kept = inbox.items.find((item) => item.id === res.headers.get('x-inbox-id'))!;
  expect(kept.warnings).toBe(errs.length);
  expect(kept.error).toContainEqual(expect.objectContaining({ segment: 'OBX', field: 9 }));
});
