/**
 * The converters that rule tables name in their `as` column: one per HL7 data type (CWE, XPN, XAD, XTN, XCN, TS, CQ…)
 * or per small table lookup. Each reads one field position and returns a FHIR value, or undefined for nothing.
 */
import type { Address, CodeableConcept, Coding, ContactPoint, HumanName, Quantity, Reference } from '@medplum/fhirtypes';
import { coding, SYSTEM, UCUM_UNITS } from './codesystems';
import { toDate, toDateTime, toInstant } from './datetime';
import type { Converter, FieldRule, FieldView } from './engine';
import { locationSystem, practitionerSystem } from './identity';
import { parseLocator } from './parse';
import { setPath } from './path';

export const text: Converter = (field) => field.text() || undefined;

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

export const decimal: Converter = (field) => {
  const value = field.text();
  if (value === '') {
    return undefined;
  }
  if (!NUMBER.test(value)) {
    field.report('102', `${field.segment.name}-${field.locator.field} is not a number: "${value}"`, 'error');
    return undefined;
  }
  return Number(value);
};

function timeConverter(convert: (value: string) => string | undefined, kind: string): Converter {
  return (field) => {
    const value = field.text();
    if (value === '') {
      return undefined;
    }
    const converted = convert(value);
    if (!converted) {
      field.report('102', `${field.segment.name}-${field.locator.field} is not a valid ${kind}: "${value}"`, 'error');
    }
    return converted;
  };
}

export const dateTime = timeConverter(toDateTime, 'date/time');
export const date = timeConverter(toDate, 'date');
export const instant = timeConverter(toInstant, 'date/time');

/** v2 coding-system names whose FHIR system depends on the field (MR9P: unit, dosage form or 処方区分). */
export type SystemOverrides = Readonly<Record<string, string>>;

/** CWE (or CE/CNE) → Codings: the standard code (parts 1-3) and the alternate, usually local, code (parts 4-6). */
function cweCodings(field: FieldView, overrides: SystemOverrides = {}): Coding[] {
  const facility = field.scope.facility.code;
  const codings: Coding[] = [];
  const version = field.part(7);
  const codingOf = (code: string, display: string, v2Name: string, codeVersion?: string): Coding =>
    overrides[v2Name] ? { system: overrides[v2Name], ...(codeVersion ? { version: codeVersion } : {}), code, ...(display ? { display } : {}) } : coding(code, display, v2Name, facility, codeVersion);
  if (field.part(1)) {
    codings.push(codingOf(field.part(1), field.part(2), field.part(3), version));
  }
  if (field.part(4)) {
    codings.push(codingOf(field.part(4), field.part(5), field.part(6)));
  }
  return codings;
}

function conceptOf(field: FieldView, overrides?: SystemOverrides): CodeableConcept | undefined {
  const codings = cweCodings(field, overrides);
  const label = field.part(2) || field.part(5) || field.part(9);
  if (codings.length === 0 && !label) {
    return undefined;
  }
  return { ...(codings.length ? { coding: codings } : {}), ...(label ? { text: label } : {}) };
}

export const codeableConcept: Converter = (field) => conceptOf(field);

/** A CodeableConcept whose v2 coding-system names mean a field-specific FHIR system (RXE-21 MR9P → MERIT-9 処方区分). */
export function codeableConceptIn(overrides: SystemOverrides): Converter {
  return (field) => conceptOf(field, overrides);
}

/** Every repetition as a CodeableConcept with field-specific systems (RXE-21 "OHP^外来処方^MR9P~OHI^院内処方^MR9P"). */
export function codeableConceptsIn(overrides: SystemOverrides): Converter {
  return (field) => field.repetitions().map((repetition) => conceptOf(repetition, overrides)).filter((value) => value !== undefined);
}

/** The codings alone, to add to a CodeableConcept built from several fields (Condition.code). */
export const codings: Converter = (field) => cweCodings(field);

/** Only the CWE.1-3 coding, for fields whose CWE.4-6 hold a qualifier instead of an alternate code (PRB-10). */
export const primaryCodings: Converter = (field) => cweCodings(field).slice(0, field.part(1) ? 1 : 0);

/** An Identifier under the facility's `urn:tonet:<kind>:<facilityCode>` system (order numbers, prescription numbers). */
export function facilityIdentifier(kind: string): Converter {
  return (field) => (field.text() ? { system: `urn:tonet:${kind}:${field.scope.facility.code}`, value: field.text() } : undefined);
}

/** Only the text of a CWE, for fields that JAHIS fills with free text in CWE.2 (RXA-9 "^左手に実施^99IC2"). */
export const cweText: Converter = (field) => field.part(2) || field.part(1) || undefined;

/** A code looked up in a small table; an unknown code is reported (HL7 0357 code 103) and left out. */
export function lookup<T>(table: Record<string, T>, options: { silent?: boolean } = {}): Converter {
  return (field) => {
    const code = field.text();
    if (code === '') {
      return undefined;
    }
    if (!(code in table)) {
      if (!options.silent) {
        field.report('103', `${field.segment.name}-${field.locator.field} value "${code}" is not in the table`);
      }
      return undefined;
    }
    return structuredClone(table[code]);
  };
}

/** A FHIR CodeableConcept from a fixed system for a looked-up code (v2 0127 → allergy category etc.). */
export function concept(system: string, table: Record<string, string>, options: { silent?: boolean } = {}): Converter {
  const codes = lookup(table, options);
  return (field) => {
    const code = codes(field) as string | undefined;
    return code ? { coding: [{ system, code }] } : undefined;
  };
}

/** Writes the field as an Identifier under a fixed system. */
export function identifierIn(system: string): Converter {
  return (field) => (field.text() ? { system, value: field.text() } : undefined);
}

/** XPN.8 (HL7 0465) → the ISO 21090 name representation JP Core puts on each name. */
const NAME_REPRESENTATION: Record<string, string> = { I: 'IDE', P: 'SYL', A: 'ABC' };
const NAME_REPRESENTATION_URL = 'http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation';

function humanName(field: FieldView): HumanName | undefined {
  const family = field.part(1);
  const given = field.part(2);
  if (!family && !given) {
    return undefined;
  }
  const representation = NAME_REPRESENTATION[field.part(8)];
  return {
    ...(representation ? { extension: [{ url: NAME_REPRESENTATION_URL, valueCode: representation }] } : {}),
    use: 'usual',
    text: [family, given].filter(Boolean).join(' '),
    ...(family ? { family } : {}),
    ...(given ? { given: [given] } : {}),
  };
}

/** PID-5 repeats the name: kanji (XPN.8 = I) and kana (P) become two names told apart by their representation. */
export const names: Converter = (field) => field.repetitions().map(humanName).filter((name) => name !== undefined);

export const firstName: Converter = (field) => humanName(field);

/** XAD.7 (HL7 0190) → Address.use. */
const ADDRESS_USE: Record<string, Address['use']> = { H: 'home', B: 'work', C: 'temp', O: 'work' };

function address(field: FieldView): Address | undefined {
  const [street, other, city, state, postalCode, country, type, fullText] = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => field.part(n));
  const lines = [street, other].filter(Boolean);
  // JAHIS puts the whole address as one string in XAD.8 and structured parts are usually empty.
  const textValue = fullText || [state, city, ...lines].filter(Boolean).join('');
  if (!textValue && !postalCode) {
    return undefined;
  }
  return {
    ...(ADDRESS_USE[type] ? { use: ADDRESS_USE[type] } : {}),
    ...(textValue ? { text: textValue } : {}),
    ...(lines.length ? { line: lines } : {}),
    ...(city ? { city } : {}),
    ...(state ? { state } : {}),
    ...(postalCode ? { postalCode } : {}),
    ...(country ? { country } : {}),
  };
}

export const addresses: Converter = (field) => field.repetitions().map(address).filter((value) => value !== undefined);
export const firstAddress: Converter = (field) => address(field);

/** XTN.2 (HL7 0201) → ContactPoint.use, per JAMI's ConceptMap; EMR/ORN have no FHIR equivalent and stay unset. */
const CONTACT_USE: Record<string, ContactPoint['use']> = { PRN: 'home', WPN: 'work', PRS: 'mobile' };
/** XTN.3 (HL7 0202) → ContactPoint.system. */
const CONTACT_SYSTEM: Record<string, ContactPoint['system']> = { PH: 'phone', CP: 'phone', FX: 'fax', BP: 'pager', Internet: 'email', X400: 'email' };

function contactPoint(field: FieldView): ContactPoint | undefined {
  const equipment = field.part(3);
  const value = field.part(12) || field.part(1) || (equipment === 'Internet' ? field.part(4) : '');
  if (!value) {
    return undefined;
  }
  const use = equipment === 'CP' ? 'mobile' : CONTACT_USE[field.part(2)];
  return { system: CONTACT_SYSTEM[equipment] ?? 'other', value, ...(use ? { use } : {}) };
}

export const telecoms: Converter = (field) => field.repetitions().map(contactPoint).filter((value) => value !== undefined);

/** XCN → a Reference by the facility's staff ID, with the name as display; Practitioners are not created here. */
export const practitioner: Converter = (field): Reference | undefined => {
  const id = field.part(1);
  const display = [field.part(2), field.part(3)].filter(Boolean).join(' ');
  if (!id && !display) {
    return undefined;
  }
  return {
    type: 'Practitioner',
    ...(id ? { identifier: { system: practitionerSystem(field.scope.facility.code), value: id } } : {}),
    ...(display ? { display } : {}),
  };
};

/** PL (ward^room^bed) → a Location reference by identifier. */
export const location: Converter = (field): Reference | undefined => {
  const parts = [1, 2, 3].map((n) => field.part(n)).filter(Boolean);
  if (parts.length === 0) {
    return undefined;
  }
  const value = parts.join('^');
  return { type: 'Location', identifier: { system: locationSystem(field.scope.facility.code), value }, display: parts.join(' ') };
};

/** A unit CWE → Quantity unit/system/code: MERIT-9 codes stay MERIT-9, known spellings get UCUM, others keep their text. */
function unitOf(unitField: FieldView): Pick<Quantity, 'unit' | 'system' | 'code'> {
  const code = unitField.part(1);
  const label = unitField.part(2) || code;
  const system = unitField.part(3);
  if (!code) {
    return {};
  }
  if (system === 'MR9P') {
    return { unit: label, system: SYSTEM.merit9Unit, code };
  }
  const ucum = UCUM_UNITS[code.toLowerCase()];
  return ucum ? { unit: label, system: SYSTEM.ucum, code: ucum } : { unit: label };
}

/** A number with its unit in another field of the same segment (RXE-3 with RXE-5, RXA-6 with RXA-7, OBX-5 with OBX-6). */
export function quantity(unitFieldNumber: number): Converter {
  return (field) => {
    const value = decimal(field) as number | undefined;
    return value === undefined ? undefined : quantityIn(field, value, unitFieldNumber);
  };
}

/** A given number with the unit held in another field of the field's segment. */
export function quantityIn(field: FieldView, value: number, unitFieldNumber: number): Quantity {
  return { value, ...unitOf(field.at(field.segment, parseLocator(`${field.segment.name}-${unitFieldNumber}`))) };
}

/** CQ with a unit in component 2 (TQ1-6 "5^d") → Duration; the unit is a UCUM time code in JAHIS. */
export const duration: Converter = (field) => {
  const value = field.part(1);
  const unit = field.part(2);
  if (!NUMBER.test(value)) {
    return undefined;
  }
  const ucum = UCUM_UNITS[unit.toLowerCase()];
  return { value: Number(value), unit, ...(ucum ? { system: SYSTEM.ucum, code: ucum } : {}) };
};

/** CQ whose unit CWE sits in subcomponents (RXE-19 "3^TAB&錠&MR9P"): a daily total as a Ratio per 1 day. */
export const dailyTotal: Converter = (field) => {
  const value = field.part(1);
  if (!NUMBER.test(value)) {
    return undefined;
  }
  const unitField = field.at(field.segment, { ...field.locator, component: 2 }, field.repetition);
  return {
    numerator: { value: Number(value), ...unitOf(unitField) },
    denominator: { value: 1, unit: '日', system: SYSTEM.ucum, code: 'd' },
  };
};

/**
 * Builds one object per occurrence of a repeating child segment with its own small table
 * (NK1 → Patient.contact, RXC → Medication.ingredient). The `from` of the outer rule only names the segment.
 */
export function eachSegment(name: string, fields: FieldRule[]): Converter {
  return (field) =>
    field.scope.all(name).map((segment) => {
      const item: Record<string, unknown> = {};
      for (const rule of fields) {
        const locator = parseLocator(rule.from);
        setPath(item, rule.to, rule.as(field.at(segment, locator)));
      }
      return item;
    });
}

/** Truthy when the value at the locator is one of the codes; for `when` and `deleteWhen`. */
export function valueIn(locator: string, codes: string[]): (scope: { value(locator: string): string }) => boolean {
  return (scope) => codes.includes(scope.value(locator));
}

export function isEmpty(locator: string): (scope: { value(locator: string): string }) => boolean {
  return (scope) => scope.value(locator) === '';
}

