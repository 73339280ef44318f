/**
 * patientsOf reads the R4 Patient CompartmentDefinition: every reference parameter it names for a type, and
 * nothing else. The rows marked "before" are what the audit's subject / patient / beneficiary reader named.
 */
import type { Resource } from '@medplum/fhirtypes';
import { COMPARTMENT_EXTENSION, patientCompartmentPaths, patientsOf } from '../../src/core/compartments';
import { allResourceTypes, loadDefinitions } from '../../src/core/definitions';

beforeAll(() => loadDefinitions());

const cases: [string, Resource, string[]][] = [
  // before: none (an Appointment has no subject; its patient is a participant)
  ['an Appointment names its patient as a participant', { resourceType: 'Appointment', status: 'booked', participant: [{ actor: { reference: 'Practitioner/d1' }, status: 'accepted' }, { actor: { reference: 'Patient/p1' }, status: 'accepted' }] }, ['p1']],
  // before: p1 only
  ['an AllergyIntolerance reported by another patient (a parent) is in both compartments', { resourceType: 'AllergyIntolerance', patient: { reference: 'Patient/p1' }, asserter: { reference: 'Patient/p2' } }, ['p1', 'p2']],
  // before: p1 only
  ['a DocumentReference written by a patient names its author', { resourceType: 'DocumentReference', status: 'current', content: [{ attachment: {} }], subject: { reference: 'Patient/p1' }, author: [{ reference: 'Organization/o1' }, { reference: 'Patient/p3' }] }, ['p1', 'p3']],
  // before: p1 only
  ['an Observation the patient measured names its performer', { resourceType: 'Observation', status: 'final', code: { text: 'BP' }, subject: { reference: 'Patient/p1' }, performer: [{ reference: 'Patient/p1' }, { reference: 'RelatedPerson/r1' }] }, ['p1']],
  // before: "p1/_history/4" as $acknowledge read it
  ['a Flag on a versioned reference names the patient, not the version', { resourceType: 'Flag', status: 'active', code: { text: 'alert' }, subject: { reference: 'Patient/p1/_history/4' } }, ['p1']],
  ['a Flag about a Location is in no compartment', { resourceType: 'Flag', status: 'active', code: { text: 'closed' }, subject: { reference: 'Location/l1' } }, []],
  ['an Encounter names its subject, not its participants', { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/p1' }, participant: [{ individual: { reference: 'Practitioner/d1' } }] }, ['p1']],
  ['an ImagingStudy of a group names nobody', { resourceType: 'ImagingStudy', status: 'available', subject: { reference: 'Group/g1' } }, []],
  ['an ImagingStudy names its patient', { resourceType: 'ImagingStudy', status: 'available', subject: { reference: 'Patient/p1' } }, ['p1']],
  // before: none
  ['a Provenance names the Patient it is the provenance of', { resourceType: 'Provenance', recorded: '2024-01-01T00:00:00Z', agent: [{ who: { reference: 'Organization/o1' } }], target: [{ reference: 'Observation/x' }, { reference: 'Patient/p1' }] }, ['p1']],
  // before: none
  ['a Task is for its patient', { resourceType: 'Task', status: 'requested', intent: 'order', for: { reference: 'Patient/p1' } }, ['p1']],
  // before: none
  ['a Group names its members', { resourceType: 'Group', type: 'person', actual: true, member: [{ entity: { reference: 'Patient/p1' } }, { entity: { reference: 'Patient/p2' } }] }, ['p1', 'p2']],
  // before: p1 only
  ['a Coverage names beneficiary and subscriber', { resourceType: 'Coverage', status: 'active', payor: [{ reference: 'Organization/o1' }], beneficiary: { reference: 'Patient/p1' }, subscriber: { reference: 'Patient/p2' } }, ['p1', 'p2']],
  // before: p1 (Device is not in the compartment: consent treats it as directory data)
  ['a Device is in no compartment, whatever patient it names', { resourceType: 'Device', patient: { reference: 'Patient/p1' } }, []],
  // before: p1 only
  ['a Patient is in its own compartment and its links\'', { resourceType: 'Patient', id: 'p1', link: [{ other: { reference: 'Patient/p2' }, type: 'seealso' }, { other: { reference: 'RelatedPerson/r1' }, type: 'seealso' }] }, ['p1', 'p2']],
  // before: none
  ['a stored document Bundle is in the compartment its meta names', { resourceType: 'Bundle', type: 'document', meta: { extension: [{ url: COMPARTMENT_EXTENSION, valueReference: { reference: 'Patient/p1' } }] } }, ['p1']],
  ['another server\'s Patient names nobody here', { resourceType: 'Condition', subject: { reference: 'https://elsewhere.example/fhir/Patient/p1' } }, []],
  ['a contained Patient is not a stored one', { resourceType: 'Condition', contained: [{ resourceType: 'Patient', id: 'c' }], subject: { reference: '#c' } }, []],
];

test.each(cases)('%s', (_name, resource, expected) => {
  expect(patientsOf(resource).sort()).toEqual(expected);
});

test('every type of the compartment definition has a plain path for each parameter, so none is left unread', () => {
  const types = allResourceTypes().filter((t) => patientCompartmentPaths(t).length > 0);
  expect(types).toEqual(expect.arrayContaining(['Appointment', 'AuditEvent', 'Encounter', 'Flag', 'ImagingStudy', 'Observation', 'Patient', 'Task']));
  expect(patientCompartmentPaths('Appointment')).toEqual([['participant', 'actor']]);
  expect(patientCompartmentPaths('Flag')).toEqual([['subject']]);
  expect(patientCompartmentPaths('Organization')).toEqual([]);
});
