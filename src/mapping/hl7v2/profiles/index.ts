/**
 * Which table maps which message. MSH-9 (type^event) picks the table; where SS-MIX2 reuses one message for several
 * data types (RDE^O11 for prescriptions and injections, OMG^O19 for radiology/endoscopy/physiology), the content decides.
 */
import type { MessageProfile } from '../engine';
import type { ParsedMessage } from '../parse';
import { read } from '../parse';
import { ADT_00 } from './adt00';
import { ADT_61 } from './adt61';
import { ADT_ENCOUNTER, ENCOUNTER_EVENTS } from './adtEncounter';
import { OMG_01, OMG_02, OMG_03, OMG_11, OMG_12, OMG_13 } from './imaging';
import { OMD } from './omd';
import { OML_01, OML_11 } from './oml';
import { OMP_01 } from './omp01';
import { OMP_02 } from './omp02';
import { PPR_01 } from './ppr01';
import { OMP_11, OMP_12 } from './ras';
import { withVisit } from './visit';
import { isVitalSigns, VITAL_SIGNS } from './vitals';

type Resolver = (message: ParsedMessage) => MessageProfile;

const first = (message: ParsedMessage, name: string) => message.segments.find((segment) => segment.name === name);

/** JAHIS injections send RXC drugs, or an injection category (JHSI 0002, local 99I02) in RXE-2, or a pump (RXR-3). */
function isInjection(message: ParsedMessage): boolean {
  const rxe = first(message, 'RXE');
  const rxr = first(message, 'RXR');
  return Boolean(first(message, 'RXC')) || /^(JHSI0002|99I02)$/.test(rxe ? read(rxe, 2, 3) : '') || Boolean(rxr && read(rxr, 3));
}

/** OBR-4's coding system tells radiology (JJ1017), endoscopy (LENDO) and physiology (JLAC10) apart. */
function orderSystem(message: ParsedMessage): string {
  const obr = first(message, 'OBR');
  return obr ? read(obr, 4, 3) : '';
}

const withEncounterEvent = (dataType: string): MessageProfile => ({ ...ADT_ENCOUNTER, dataType });

/**
 * Orders and results name their visit (PV1 → Encounter, visit.ts); the day of an outpatient visit is the data type's
 * care date (診療日), the field SS-MIX2 files it under (NHO-TT SSMIX_CAREDATE).
 */
const CARE_DATE: Record<string, string> = {
  OMD: 'ORC-9',
  'OMP-01': 'ORC-9',
  'OMP-02': 'ORC-9',
  'OMP-11': 'RXA-3',
  'OMP-12': 'RXA-3',
  'OML-01': 'ORC-9',
  'OML-11': 'SPM-17',
  'OMG-01': 'ORC-9',
  'OMG-02': 'ORC-9',
  'OMG-03': 'ORC-9',
  'OMG-11': 'OBR-7',
  'OMG-12': 'OBR-7',
  'OMG-13': 'OBR-7',
  'VITAL-SIGNS': 'OBR-7',
};

const visited = (resolve: Resolver): Resolver => (message) => {
  const profile = resolve(message);
  return profile.dataType in CARE_DATE ? withVisit(profile, CARE_DATE[profile.dataType]) : profile;
};

/** Message type → event → table. */
const TABLES: Record<string, Record<string, Resolver>> = {
  ADT: {
    A08: () => ADT_00,
    A23: () => ADT_00,
    A60: () => ADT_61,
    ...Object.fromEntries(Object.entries(ENCOUNTER_EVENTS).map(([event, row]) => [event, () => withEncounterEvent(row.dataType)])),
  },
  PPR: { ZD1: () => PPR_01 },
  OMD: { O03: () => OMD },
  RDE: { O11: (message) => (isInjection(message) ? OMP_02 : OMP_01) },
  RAS: { O17: (message) => (isInjection(message) ? OMP_12 : OMP_11) },
  OML: { O33: () => OML_01 },
  OUL: { R22: () => OML_11 },
  OMG: { O19: (message) => ({ JJ1017: OMG_01, LENDO: OMG_02 })[orderSystem(message)] ?? OMG_03 },
  OMI: { Z23: (message) => (orderSystem(message) === 'LENDO' ? OMG_12 : OMG_11) },
  // A result message whose every OBX is a vital sign or body measurement is extended storage's vital signs (ORU^R30:
  // a bedside device's, unordered); other ORU^R01 are physiology results (OMG-13).
  ORU: { R01: (message) => (isVitalSigns(message) ? VITAL_SIGNS : OMG_13), R30: () => VITAL_SIGNS },
};

export const MESSAGE_TABLES: Record<string, Record<string, Resolver>> = Object.fromEntries(
  Object.entries(TABLES).map(([type, events]) => [type, Object.fromEntries(Object.entries(events).map(([event, resolve]) => [event, visited(resolve)]))])
);
