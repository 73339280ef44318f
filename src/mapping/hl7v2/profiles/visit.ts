/**
 * PV1 (来院情報 visit) in orders and results → the Encounter they belong to, which their resources name in
 * `encounter` (MedicationAdministration: `context`), as JAMI's message ConceptMaps (OML-11, OMP-01, OMP-12: PV1 →
 * Encounter) and segment-pv1-to-encounter say. PV2 is not read: JAMI uses it only in ADT messages.
 *
 * The ADT messages own the Encounter; an order only makes sure it exists (a conditional create), so it never
 * overwrites the stay the admission, transfer and discharge wrote. An inpatient's order names the stay as ADT does
 * (visit number, else the patient's open stay); an outpatient's the visit number, else the visit's start (PV1-44,
 * as ADT-12 names it), else that day's outpatient visit, the day being the message's care date (診療日, the field
 * SS-MIX2 files the message under: NHO-TT SSMIX_CAREDATE) or, without one, the message's own time.
 */
import type { ResourceType } from '@medplum/fhirtypes';
import { date, dateTime, isEmpty, location, lookup } from '../converters';
import type { MessageProfile, ResourceRule, Scope } from '../engine';
import { SYSTEM } from '../codesystems';
import { ENCOUNTER_CLASS, INPATIENT_STAY_KEY, participant } from './adtEncounter';
import { isCancelledOrder, jpProfile } from './common';

/** Where each resource type names its Encounter (R4). */
const ENCOUNTER_ELEMENT: Partial<Record<ResourceType, string>> = {
  ServiceRequest: 'encounter',
  DiagnosticReport: 'encounter',
  Observation: 'encounter',
  MedicationRequest: 'encounter',
  MedicationAdministration: 'context',
  Immunization: 'encounter',
  ImagingStudy: 'encounter',
  Procedure: 'encounter',
  NutritionOrder: 'encounter',
};

const hasVisit = (scope: Scope) => scope.value('PV1-2') !== '';
const isInpatient = (scope: Scope) => scope.value('PV1-2') === 'I';

function visitRule(id: string, careDate: string, inpatient: boolean): ResourceRule {
  return {
    id,
    resourceType: 'Encounter',
    profile: jpProfile('JP_Encounter'),
    anchor: careDate.split('-')[0],
    // A cancel withdraws an order; it does not make a visit.
    when: (scope) => hasVisit(scope) && isInpatient(scope) === inpatient && !isCancelledOrder(scope),
    key: {
      kind: 'encounter',
      from: inpatient
        ? INPATIENT_STAY_KEY
        : [
            ['PID-3', '=visit', 'PV1-19'],
            ['PID-3', '=admit', 'PV1-44'],
            ['PID-3', '=day', `${careDate}@day`],
            ['PID-3', '=day', 'MSH-7@day'],
          ],
      onDuplicate: 'merge',
    },
    createOnly: true,
    patient: 'subject',
    // The order does not say how the visit stands; the ADT messages do.
    fixed: { status: 'unknown' },
    fields: [
      { from: 'PV1-2', to: 'class', as: lookup(ENCOUNTER_CLASS) },
      { from: 'PV1-3', to: 'location[0].location', as: location },
      { from: 'PV1-7', to: 'participant[]', as: participant('ATND') },
      { from: 'PV1-17', to: 'participant[]', as: participant('ADM') },
      { from: 'PV1-10', to: 'serviceType', as: (field) => (field.text() ? { coding: [{ system: SYSTEM.department, code: field.text() }] } : undefined) },
      { from: 'PV1-44', to: 'period.start', as: dateTime },
      // An outpatient visit without its start is that care date's visit: the day is what is known of it, and
      // without it the visit had no date at all (the timeline then placed it at the time it was stored).
      ...(inpatient ? [] : [{ from: careDate, to: 'period.start', as: date, when: isEmpty('PV1-44') }]),
      { from: 'PV1-45', to: 'period.end', as: dateTime },
    ],
  };
}

/**
 * The table with its visit: the Encounter rules (anchored where the care date is, e.g. "SPM-17") and a link to it
 * from every resource that has an encounter element.
 */
export function withVisit(profile: MessageProfile, careDate: string): MessageProfile {
  const visits = [visitRule('inpatientVisit', careDate, true), visitRule('visit', careDate, false)];
  const resources = profile.resources.map((rule): ResourceRule => {
    const element = ENCOUNTER_ELEMENT[rule.resourceType];
    return element ? { ...rule, links: [...(rule.links ?? []), ...visits.map((visit) => ({ to: element, rule: visit.id }))] } : rule;
  });
  return { ...profile, resources: [...resources, ...visits] };
}
