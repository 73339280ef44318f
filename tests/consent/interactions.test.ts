/**
 * Who may start each interaction beyond reading and writing resources (src/consent/interactions.ts), written
 * here again as the product's rules read in words, so that a changed row of the table fails until this
 * matrix agrees. Each cell is one caller: a role acting for a facility, without one, and a resident about
 * themselves or another resident.
 */
import { ROLES, RequestContext, Role } from '../../src/core/context';
import { assertMayStart, facilityStarting, Interaction, INTERACTIONS, mayStart } from '../../src/consent/interactions';

const FACILITY = 'Organization/clinic';
const SELF = 'Patient/self';

const caller = (role: Role, organization?: string): RequestContext => ({
  clientId: `${role}-client`,
  clientName: role,
  role,
  organization,
  patient: role === 'resident' ? SELF : undefined,
  purposeOfUse: 'TREAT',
  requestId: 'interactions-test',
});

/**
 * The roles that may start each, acting for a facility; `facilityOnly`: not without one, except the network
 * office where `officeAnywhere`; `self`: a resident about themselves too.
 */
const EXPECTED: Record<Interaction, { roles: Role[]; facilityOnly?: boolean; officeAnywhere?: boolean; self?: boolean }> = {
  'send-hl7': { roles: ['gateway', 'admin'], facilityOnly: true },
  'store-images': { roles: ['gateway', 'admin'], facilityOnly: true },
  'import-cda': { roles: ['gateway', 'clinician'], facilityOnly: true },
  'bulk-import': { roles: ['gateway', 'admin'], facilityOnly: true, officeAnywhere: true },
  enrol: { roles: ['admin'] },
  withdraw: { roles: ['admin'] },
  'new-card-secret': { roles: ['admin'], self: true },
  'link-card': { roles: ['clinician', 'clerk'], facilityOnly: true },
  'revoke-consent': { roles: ['admin', 'clinician', 'clerk', 'resident'] },
  disclosure: { roles: ['admin'], self: true },
  'resident-record': { roles: ['resident'] },
  'apply-pathway': { roles: ['clinician'], facilityOnly: true },
  'overdue-sweep': { roles: ['admin', 'clinician'] },
  'acknowledge-alert': { roles: ['clinician', 'admin'] },
  'book-exam': { roles: ['clinician'], facilityOnly: true },
  'cohort-statistics': { roles: ['researcher', 'admin'] },
  'manage-clients': { roles: ['admin'] },
  'manage-apps': { roles: ['admin'] },
  'manage-accounts': { roles: ['admin'] },
  'review-inbox': { roles: ['admin'] },
  'read-metrics': { roles: ['admin'] },
  'verify-audit-chain': { roles: ['admin'] },
};

test('the table has a row for every interaction the matrix names, and no other', () => {
  expect(Object.keys(INTERACTIONS).sort()).toEqual(Object.keys(EXPECTED).sort());
});

describe.each(Object.entries(EXPECTED) as [Interaction, (typeof EXPECTED)[Interaction]][])('%s', (interaction, expected) => {
  test.each([...ROLES])('%s', (role) => {
    const residentAboutSelf = role === 'resident' && !!expected.self;
    const allowed = expected.roles.includes(role) || residentAboutSelf;
    // A resident acts for no facility; every other role is asked for with one, then without.
    const subject = role === 'resident' ? SELF : undefined;
    expect(mayStart(caller(role, role === 'resident' ? undefined : FACILITY), interaction, subject)).toBe(allowed);
    if (role !== 'resident') expect(mayStart(caller(role), interaction)).toBe(allowed && (!expected.facilityOnly || (!!expected.officeAnywhere && role === 'admin')));
    if (residentAboutSelf) expect(mayStart(caller(role), interaction, 'Patient/someone-else')).toBe(expected.roles.includes('resident'));
  });
});

test('a refusal is a 403 whose text says who may', () => {
  expect(() => assertMayStart(caller('clinician', FACILITY), 'enrol')).toThrow(expect.objectContaining({ status: 403, message: expect.stringContaining('network office') }));
  expect(() => assertMayStart(caller('researcher', FACILITY), 'store-images')).toThrow(expect.objectContaining({ status: 403, message: expect.stringContaining('Client role researcher may not store images') }));
});

test('an interaction done for a facility answers that facility, and refuses a caller with none', () => {
  expect(facilityStarting(caller('clerk', FACILITY), 'link-card')).toBe(FACILITY);
  expect(() => facilityStarting(caller('clerk'), 'link-card')).toThrow(expect.objectContaining({ status: 403 }));
});
