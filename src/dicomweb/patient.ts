/**
 * The stub Patient created (by a conditional create) when images arrive before anything else about the patient:
 * the facility's patient identifier and the name as the DICOM file spells it.
 */
import type { HumanName, Identifier, Patient } from '@medplum/fhirtypes';
import type { DicomPersonName } from '../mapping/dicom';

const JP_PATIENT = 'http://jpfhir.jp/fhir/core/StructureDefinition/JP_Patient';
const NAME_REPRESENTATION_URL = 'http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation';

export function stubPatient(identifier: Identifier, name: DicomPersonName | undefined): Patient {
  const names = name ? humanNames(name) : [];
  return {
    resourceType: 'Patient',
    meta: { profile: [JP_PATIENT] },
    identifier: [identifier],
    ...(names.length ? { name: names } : {}),
  };
}

/**
 * PN component groups → JP Core names told apart by representation: the ideographic group is kanji (IDE),
 * the phonetic group kana (SYL). Japanese modalities often put kana, or even kanji, in the first
 * ("alphabetic") group, so that group's representation follows what it holds.
 */
function humanNames(name: DicomPersonName): HumanName[] {
  const groups: [string | undefined, string][] = [
    [name.alphabetic, representationOf(name.alphabetic ?? '')],
    [name.ideographic, 'IDE'],
    [name.phonetic, 'SYL'],
  ];
  const names: HumanName[] = [];
  for (const [value, representation] of groups) {
    const humanName = value ? toHumanName(value, representation) : undefined;
    if (humanName && !names.some((known) => known.text === humanName.text)) names.push(humanName);
  }
  return names;
}

function representationOf(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value)) return 'ABC';
  // Hiragana, katakana (full- and half-width), the prolonged sound mark and spaces.
  if (/^[\u3040-\u30ff\uff61-\uff9f\u3000\s^]*$/.test(value)) return 'SYL';
  return 'IDE';
}

/** `Family^Given^Middle^Prefix^Suffix` → HumanName. */
function toHumanName(value: string, representation: string): HumanName | undefined {
  const [family, given, middle, prefix, suffix] = value.split('^').map((component) => component.trim());
  const givenNames = [given, middle].filter((part): part is string => !!part);
  if (!family && !givenNames.length) return undefined;
  return {
    extension: [{ url: NAME_REPRESENTATION_URL, valueCode: representation }],
    use: 'usual',
    text: [family, ...givenNames].filter(Boolean).join(' '),
    ...(family ? { family } : {}),
    ...(givenNames.length ? { given: givenNames } : {}),
    ...(prefix ? { prefix: [prefix] } : {}),
    ...(suffix ? { suffix: [suffix] } : {}),
  };
}
