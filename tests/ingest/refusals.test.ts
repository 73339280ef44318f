/**
 * Every refused input is kept in the dead-letter inbox with its reason, whatever broke it: a truncated or
 * missing MSH, a NUL byte, a bad X-SSMIX2-File header or a file breaking the SS-MIX2 layout, on MLLP and HTTP.
 */
import { labResultMessage } from '../support/hl7-messages';
import { startTestServer, TestServer } from '../support/server';
import { ackCode, createFacility, MllpClient } from './support';

let server: TestServer;
let gatewayToken: string;

beforeAll(async () => {
  server = await startTestServer();
  gatewayToken = await server.clientToken({ role: 'gateway', organization: await createFacility(server) });
});
afterAll(async () => server?.close());

async function rejected(): Promise<any[]> {
  const res = await fetch(`${server.url}/admin/inbox?status=rejected&_count=1000`, { headers: { authorization: `Bearer ${server.adminToken}` } });
  return ((await res.json()) as { items: any[] }).items;
}

function post(body: string | Buffer, headers: Record<string, string> = {}) {
  return fetch(`${server.url}/hl7/v2`, { method: 'POST', headers: { authorization: `Bearer ${gatewayToken}`, 'content-type': 'x-application/hl7-v2+er7', ...headers }, body });
}

function errSegments(ack: string): string[] {
  return ack.split('\r').filter((l) => l.startsWith('ERR'));
}

test('a truncated MSH is refused with AR naming MSH-2, and kept', async () => {
  for (const truncated of ['MSH|^~', 'MSH|^~\rPID|1||X^^^^PI\r']) {
    const res = await post(truncated);
    const ack = await res.text();
    expect(res.status).toBe(200);
    expect(ackCode(ack)).toBe('AR');
    expect(errSegments(ack)[0]).toMatch(/^ERR\|\|MSH\^1\^2\|101/);
    const kept = (await rejected()).find((r) => r.id === res.headers.get('x-inbox-id'));
    expect(kept.error[0].message).toMatch(/MSH is truncated/);
  }
});

test('a message with a NUL byte is refused with AR naming its segment, and kept (it was a 500 and lost)', async () => {
  const message = labResultMessage({ controlId: 'N\u0000UL', patientId: 'NUL-1', orderNumber: 'NUL-O', code: '3D046000001920402', name: 'HbA1c', value: '7\u00000', unit: '%', range: '4.6-6.2', observedAt: '202501011000', token: gatewayToken });
  const res = await post(message);
  const ack = await res.text();
  expect(res.status).toBe(200);
  expect(ackCode(ack)).toBe('AR');
  expect(errSegments(ack)[0]).toMatch(/^ERR\|\|MSH\^1\|102/);
  const before = (await rejected()).length;

  const mllp = await MllpClient.connect(server.mllpPort);
  const overMllp = await mllp.send(Buffer.from(message.replace('N\u0000UL', 'NUL2'), 'utf8'));
  mllp.close();
  expect(ackCode(overMllp)).toBe('AR');
  expect(errSegments(overMllp)[0]).toMatch(/^ERR\|\|OBX\^1\|102/);
  const after = await rejected();
  expect(after.length).toBe(before + 1);
  expect(after[0].transport).toBe('mllp');
  expect(after[0].messageControlId).toBe('NUL2');
});

test('a bad X-SSMIX2-File is a 400 and the message is kept; a file breaking the layout is refused with AR and kept', async () => {
  const message = labResultMessage({ controlId: 'LAYOUT1', patientId: 'L-1', orderNumber: 'L-O', code: '3D046000001920402', name: 'HbA1c', value: '7.0', unit: '%', range: '4.6-6.2', observedAt: '202501011000' });
  const bad = await post(message, { 'x-ssmix2-file': '%E3%81' });
  expect(bad.status).toBe(400);
  const keptBad = (await rejected()).find((r) => r.id === bad.headers.get('x-inbox-id'));
  expect(keptBad.error[0].message).toMatch(/X-SSMIX2-File/);

  const file = '000/000/0000001/20250101/OML-11/0000001_20250101_OMD_L-O_20250101100000000_01_1';
  const res = await post(message, { 'x-ssmix2-file': encodeURIComponent(file) });
  const ack = await res.text();
  expect(ackCode(ack)).toBe('AR');
  expect(ack).toMatch(/differs from its folder/);
  const kept = (await rejected()).find((r) => r.id === res.headers.get('x-inbox-id'));
  expect(kept.fileName).toBe(file);
  expect(kept.messageControlId).toBe('LAYOUT1');
});
