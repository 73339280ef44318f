/**
 * The server acting on its own: a system actor has the network office's rights as the anonymous system
 * context had (so consent decides as before), names its reason, and is tied to the request that caused it.
 */
import { systemActor } from '../../src/core/context';

test('a system actor no request caused is named by its reason, with the rights the server always had', () => {
  expect(systemActor('pathway-catalogue')).toEqual({
    clientId: 'system',
    clientName: 'Tonet',
    role: 'admin',
    purposeOfUse: 'OPERATIONS',
    requestId: 'system:pathway-catalogue',
    systemReason: 'pathway-catalogue',
  });
});

test("a system actor a request caused keeps that request's id", () => {
  expect(systemActor('card-link-consent', 'req-42')).toMatchObject({ requestId: 'req-42', systemReason: 'card-link-consent', role: 'admin', clientId: 'system' });
});
