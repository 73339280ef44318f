/**
 * Tonet's eReferral Bundle (from referral-jmix.xml) beside the official JP-CLINS examples
 * (tests/fixtures/third-party/jp-clins-examples, read as they are): the elements JP_Bundle_eReferral and
 * JP_Composition_eReferral fix or require, and the profiles and code/identifier systems of each entry type, are
 * extracted by code from both bundles and compared as data. Every difference must be one of KNOWN_DIFFERENCES, each
 * with its reason; a known difference that no longer occurs fails the test too, so the list cannot go stale.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Bundle, Composition, CompositionSection, Resource } from '@medplum/fhirtypes';
import { mapCdaReferral } from '../../../src/mapping/cda';
import type { SendingFacility } from '../../../src/mapping/types';

const EXAMPLES = path.join(__dirname, '../../fixtures/third-party/jp-clins-examples/ExampleJson');
const readBundle = (name: string): Bundle => JSON.parse(readFileSync(path.join(EXAMPLES, name), 'utf8')) as Bundle;
const XML = readFileSync(path.join(__dirname, 'referral-jmix.xml'), 'utf8');
const FACILITY: SendingFacility = { code: '1318814790', organizationReference: 'Organization/minato-clinic' };

type Facts = Map<string, string>;
type Json = Record<string, unknown>;

const sorted = (values: Iterable<string>): string => JSON.stringify([...new Set(values)].sort());
const sectionCode = (section: CompositionSection): string => section.code?.coding?.map((coding) => coding.code).join('+') ?? '(none)';
const codingsOf = (concept: { coding?: { system?: string; code?: string; display?: string }[] } | undefined): string =>
  JSON.stringify((concept?.coding ?? []).map((coding) => `${coding.system}|${coding.code}|${coding.display}`));

function resolve(bundle: Bundle, reference: string | undefined): Resource | undefined {
  return bundle.entry?.find((entry) => entry.fullUrl === reference)?.resource;
}

/** Every `system` in a resource by element path (array positions dropped), skipping contained resources. */
function systemsByPath(value: unknown, at: string, into: Map<string, Set<string>>): void {
  if (Array.isArray(value)) {
    value.forEach((item) => systemsByPath(item, at, into));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, inner] of Object.entries(value as Json)) {
    if (key === 'contained' || key === 'meta') continue;
    const next = key === 'extension' && typeof (value as Json).url !== 'string' ? at : `${at}.${key}`;
    if (key === 'system' && typeof inner === 'string') {
      into.set(at, (into.get(at) ?? new Set()).add(inner));
    } else if (key === 'extension' && Array.isArray(inner)) {
      // Extensions by url, so the path says which extension a system sits in.
      inner.forEach((extension: Json) => systemsByPath(extension, `${at}.extension(${String(extension.url).replace(/^.*\//, '')})`, into));
    } else {
      systemsByPath(inner, next, into);
    }
  }
}

/** What a document bundle says about the elements the IG fixes or requires, path → value. */
function documentFacts(bundle: Bundle): Facts {
  const facts: Facts = new Map();
  const composition = bundle.entry?.[0]?.resource as Composition;
  facts.set('Bundle.type', String(bundle.type));
  facts.set('Bundle.identifier.system', String(bundle.identifier?.system));
  facts.set('Bundle.meta.profile', sorted(bundle.meta?.profile ?? []));
  facts.set('Bundle.entry[0].resourceType', composition.resourceType);
  facts.set('Composition.meta.profile', sorted(composition.meta?.profile ?? []));
  facts.set('Composition.identifier.system', String(composition.identifier?.system));
  facts.set('Composition.extension.url', sorted((composition.extension ?? []).map((extension) => extension.url)));
  facts.set('Composition.status', composition.status);
  facts.set('Composition.type.coding', codingsOf(composition.type));
  facts.set('Composition.category.coding', JSON.stringify((composition.category ?? []).map(codingsOf)));
  facts.set('Composition.title', composition.title);
  facts.set('Composition.event.code', JSON.stringify((composition.event ?? []).map((event) => event.code)));
  facts.set('Composition.event.period.start present', JSON.stringify((composition.event ?? []).map((event) => !!event.period?.start)));
  const references = { subject: [composition.subject], encounter: [composition.encounter], author: composition.author, custodian: [composition.custodian] };
  for (const [element, targets] of Object.entries(references)) {
    const resolved = targets.filter((target) => target !== undefined).map((target) => resolve(bundle, target?.reference));
    facts.set(`Composition.${element} → resourceType`, JSON.stringify(resolved.map((resource) => resource?.resourceType ?? '(not in bundle)')));
    facts.set(`Composition.${element} → meta.profile`, JSON.stringify(resolved.map((resource) => resource?.meta?.profile ?? [])));
    facts.set(
      `Composition.${element} → identifier.system`,
      JSON.stringify(resolved.map((resource) => ((resource as { identifier?: { system?: string }[] })?.identifier ?? []).map((identifier) => identifier.system))),
    );
  }
  const visit = (sections: CompositionSection[], parent: string): void => {
    facts.set(`${parent}.code`, sorted(sections.map(sectionCode)));
    for (const section of sections) {
      const at = `section[${sectionCode(section)}]`;
      facts.set(`${at}.code.coding`, codingsOf(section.code));
      facts.set(`${at}.title`, String(section.title));
      facts.set(`${at}.text.status`, String(section.text?.status));
      facts.set(`${at}.entry → resourceType`, sorted((section.entry ?? []).map((entry) => resolve(bundle, entry.reference)?.resourceType ?? '(not in bundle)')));
      facts.set(`${at}.emptyReason`, JSON.stringify(section.emptyReason ?? null));
      if (section.section) visit(section.section, `${at}.section`);
    }
  };
  visit(composition.section ?? [], 'Composition.section');
  return facts;
}

/** Per entry resource type: the profiles claimed and the systems of codings and identifiers, by element path. */
function entryFacts(bundle: Bundle): Facts {
  const facts: Facts = new Map();
  const byType = new Map<string, Resource[]>();
  for (const entry of bundle.entry ?? []) {
    const resource = entry.resource;
    if (resource && resource.resourceType !== 'Composition') byType.set(resource.resourceType, [...(byType.get(resource.resourceType) ?? []), resource]);
  }
  for (const [type, resources] of byType) {
    facts.set(`${type}.meta.profile`, sorted(resources.flatMap((resource) => resource.meta?.profile ?? [])));
    const systems = new Map<string, Set<string>>();
    resources.forEach((resource) => systemsByPath(resource, type, systems));
    for (const [at, found] of systems) facts.set(`${at}.system`, sorted(found));
  }
  return facts;
}

interface Difference {
  path: string;
  example: string;
  tonet: string;
}

/** Paths in both; for entry facts, only resource types present in both bundles. */
function differences(example: Facts, tonet: Facts, paths: Iterable<string>): Difference[] {
  return [...new Set(paths)]
    .map((at) => ({ path: at, example: example.get(at) ?? '(absent)', tonet: tonet.get(at) ?? '(absent)' }))
    .filter((difference) => difference.example !== difference.tonet)
    .sort((a, b) => a.path.localeCompare(b.path));
}

const format = (difference: Difference): string => `${difference.path}: example ${difference.example}, Tonet ${difference.tonet}`;

function sharedEntryPaths(example: Facts, tonet: Facts): string[] {
  const typesOf = (facts: Facts) => new Set([...facts.keys()].map((at) => at.split('.')[0]));
  const exampleTypes = typesOf(example);
  const shared = [...typesOf(tonet)].filter((type) => exampleTypes.has(type));
  return [...example.keys(), ...tonet.keys()].filter((at) => shared.includes(at.split('.')[0]));
}

/** Paths of sections in both bundles (a section only one side has shows once, in the parent's code list). */
function sharedDocumentPaths(example: Facts, tonet: Facts): string[] {
  return [...example.keys()].filter((at) => tonet.has(at) || !at.startsWith('section['));
}

function assertExplained(found: Difference[], known: Readonly<Record<string, string>>): void {
  const unexplained = found.filter((difference) => !(difference.path in known)).map(format);
  const stale = Object.keys(known).filter((at) => !found.some((difference) => difference.path === at));
  expect({ unexplained, stale }).toEqual({ unexplained: [], stale: [] });
}

const tonet = mapCdaReferral(XML, FACILITY).bundle;

describe('Tonet eReferral Bundle against Bundle-CLINS-Referral-Example-01', () => {
  const example = readBundle('Bundle-Bundle-CLINS-Referral-Example-01.json');

  /** Where Tonet legitimately differs from the example, path by path, and why. */
  const KNOWN_DIFFERENCES: Readonly<Record<string, string>> = {
    'Bundle.meta.profile': 'the example pins version |1; Tonet claims the unversioned canonical, which the IG reads as the latest version',
    'Composition.meta.profile': 'the example pins version |1; Tonet claims the unversioned canonical',
    'Composition.subject → identifier.system':
      'the example Patient carries the insured-person id (JP_Insurance_memberID); a CDA R2 header has no such id, so Tonet carries the facility patient number only',
    'Composition.author → identifier.system': 'the example practitioners carry no identifier; the letter\'s author id (JP Core staff id system) is kept',
    'Composition.encounter → identifier.system': 'the example numbers its Encounter in resourceInstance-identifier; the letter\'s encompassingEncounter has no id',
    'section[300].section.code':
      'the sections each letter has: both have 身体所見 (610); the example has 感染症情報 (520), the test letter has 予防接種歴 (530), 手術 (730), 処置 (720), 投薬指示 (430) and 検査結果 (620) instead',
    'section[330].entry → resourceType': 'the example attaches its clinical course as a PDF DocumentReference; the letter states it in its narrative only',
    'section[360].entry → resourceType': 'the example codes the present illness as a Condition; the letter states it in its narrative only',
    'Composition.section.code': 'the letter has a 備考 section (220, the NoEntry example has one too); Example-01 has none',
  };

  const KNOWN_ENTRY_DIFFERENCES: Readonly<Record<string, string>> = {
    'AllergyIntolerance.code.coding.system':
      'allergens: the example codes them in J-FAGY (food, medication allergen code systems); the letter codes its drug allergen in HOT9 and its food allergen in words only, and Tonet keeps the letter\'s codes',
    'AllergyIntolerance.reaction.manifestation.coding.system': 'the letter codes its reaction (発疹) in MEDIS 病名交換用コード; the example\'s has no coding (nullFlavor NI)',
    'AllergyIntolerance.verificationStatus.coding.system': 'one example allergy states verificationStatus confirmed; a CDA allergy observation carries no verification status, so Tonet leaves it out',
    'AllergyIntolerance.identifier.system': 'CDA entry ids keep their own OID namespace (entry/id/@root); the example numbers its resources in resourceInstance-identifier, a namespace a CDA id cannot be put in without inventing values',
    'Condition.identifier.system': 'CDA entry ids keep their own OID namespace (entry/id/@root), as for AllergyIntolerance',
    'Condition.code.coding.system': 'the letter codes diagnoses in ICD-10 with a MEDIS 病名管理番号 and a local code, all kept; the example uses 病名管理番号 only',
    'Condition.code.extension(JP_Condition_DiseasePrefixModifier).valueCodeableConcept.coding.system': 'the example\'s 左前腕骨折 has a MEDIS modifier; the letter\'s diagnoses have none',
    'Condition.extension(JP_eCS_Department).valueCodeableConcept.coding.system': 'the example names the department that made a diagnosis; a CDA problem entry names none',
    'Condition.meta.profile': 'some example Conditions pin version |1; Tonet claims the unversioned canonical',
    'Encounter.identifier.system': 'the example numbers its Encounters in resourceInstance-identifier; a CDA encompassingEncounter in the letter has no id',
    'Encounter.classHistory.class.system': 'the example repeats the class in classHistory; Tonet has one class per visit, so no history',
    'Organization.extension(JP_eCS_Department).valueCodeableConcept.coding.system': 'the example names the sending department (眼科); the letter\'s representedOrganization has none',
    'Observation.code.coding.system': 'both bundles name their physical finding (身体所見) in words only; the letter also has a lab result coded in JLAC10, the example none',
    'Observation.extension(JP_eCS_InstitutionNumber).valueIdentifier.system': 'Tonet names the recording facility on every clinical resource, as the example allergies do; the example physical finding does not',
    'Observation.identifier.system': 'the letter\'s result and finding entries have no id; the example numbers its Observation in resourceInstance-identifier',
    'Observation.valueQuantity.system': 'a lab value is a UCUM quantity; the example has no lab value, only its finding as a string',
    'Patient.contact.telecom.system': 'the example names a contact person; a CDA recordTarget in the letter has none (guardian, employer)',
    'Patient.identifier.system': 'the insured-person id (JP_Insurance_memberID) is not in a CDA R2 header; the facility patient number is kept',
    'Practitioner.telecom.system': 'the letter gives the author\'s work phone; the example practitioners have none',
    'Practitioner.identifier.system': 'the example practitioners carry no identifier; the letter\'s author id (JP Core staff id system) is kept',
  };

  it('agrees with the example on every element the IG fixes or requires, except the differences listed with their reason', () => {
    const exampleFacts = documentFacts(example);
    const tonetFacts = documentFacts(tonet);
    assertExplained(differences(exampleFacts, tonetFacts, sharedDocumentPaths(exampleFacts, tonetFacts)), KNOWN_DIFFERENCES);
  });

  it('claims the example\'s profiles and code and identifier systems for each entry type both bundles hold, except as listed', () => {
    const exampleFacts = entryFacts(example);
    const tonetFacts = entryFacts(tonet);
    assertExplained(differences(exampleFacts, tonetFacts, sharedEntryPaths(exampleFacts, tonetFacts)), KNOWN_ENTRY_DIFFERENCES);
  });

  it('holds the entry types the example holds, except those the letter has no data for', () => {
    const typesOf = (bundle: Bundle) => new Set((bundle.entry ?? []).map((entry) => entry.resource?.resourceType ?? ''));
    const tonetTypes = typesOf(tonet);
    const missing = [...typesOf(example)].filter((type) => !tonetTypes.has(type)).sort();
    // DocumentReference: the example's PDF clinical course; the letter's is narrative.
    expect(missing).toEqual(['DocumentReference']);
  });
});

describe('Tonet eReferral Bundle against Bundle-CLINS-Referral-NoEntry-Example-01', () => {
  const example = readBundle('Bundle-Bundle-CLINS-Referral-NoEntry-Example-01.json');
  /** The letter with every coded entry removed: its sections then hold narrative only, as the NoEntry example's. */
  const withoutEntries = mapCdaReferral(XML.replace(/<entry>[\s\S]*?<\/entry>\s*(?=<(entry|\/section)>)/g, ''), FACILITY).bundle;

  it('writes sections without entries as the NoEntry example does: one coding, text status additional, no empty reason when the letter has text', () => {
    const exampleFacts = documentFacts(example);
    const tonetFacts = documentFacts(withoutEntries);
    const sectionPaths = [...exampleFacts.keys()].filter((at) => at.startsWith('section[') && tonetFacts.has(at));
    const found = differences(exampleFacts, tonetFacts, sectionPaths);
    // 950: the purpose Encounter is built from the narrative, not from a CDA entry, so it stays (the NoEntry example has none).
    assertExplained(found, {
      'section[950].entry → resourceType': 'Tonet builds the 紹介目的 Encounter from the narrative, which an entry-free letter still has',
      'section[300].section.code':
        'the sections each letter has: the NoEntry example has 感染症情報 (520), the test letter 予防接種歴 (530), 手術 (730), 処置 (720) and 検査結果 (620)',
    });
  });

  it('writes a required section the letter lacks with the list-empty-reason code and text, as the IG asks', () => {
    const lacking = mapCdaReferral(XML.replace(/<component>\s*<section>\s*<code code="10164-2"[\s\S]*?<\/component>/, ''), FACILITY).bundle;
    const composition = lacking.entry?.[0]?.resource as Composition;
    const structured = composition.section?.find((section) => sectionCode(section) === '300');
    const presentIllness = structured?.section?.find((section) => sectionCode(section) === '360');
    expect(presentIllness).toEqual({
      title: '現病歴',
      code: { coding: [{ system: 'http://jpfhir.jp/fhir/clins/CodeSystem/document-section', code: '360', display: '現病歴セクション' }] },
      text: { status: 'additional', div: '<div xmlns="http://www.w3.org/1999/xhtml">記載なし</div>' },
      emptyReason: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/list-empty-reason', code: 'unavailable', display: 'Unavailable' }] },
    });
  });
});

describe('Tonet eReferral entries of types no official example holds', () => {
  /**
   * JP-CLINS publishes no Immunization or Procedure example (none in ExampleJson, the referral bundles included), so
   * these are checked against the IG's own definitions instead: JP_Bundle_eReferral's entry slices name the profile
   * (entry[immunization] only JP_Immunization_eCS, entry[procedure] only JP_Procedure_eCS) and JP_Composition_eReferral
   * the sections whose entries they are (530 予防接種歴; 730 手術, 740 輸血歴, 720 処置).
   */
  const IG_ENTRY_SLICES: Readonly<Record<string, { profile: string; sections: readonly string[] }>> = {
    Immunization: { profile: 'http://jpfhir.jp/fhir/eCS/StructureDefinition/JP_Immunization_eCS', sections: ['530'] },
    Procedure: { profile: 'http://jpfhir.jp/fhir/eCS/StructureDefinition/JP_Procedure_eCS', sections: ['720', '730', '740'] },
  };

  it('are still absent from every official example, or they would be compared element by element above', () => {
    const exampleTypes = readdirSync(EXAMPLES).map((name) => name.split('-')[0]);
    const bundled = ['Bundle-Bundle-CLINS-Referral-Example-01.json', 'Bundle-Bundle-CLINS-Referral-NoEntry-Example-01.json'].flatMap((name) =>
      (readBundle(name).entry ?? []).map((entry) => entry.resource?.resourceType),
    );
    for (const type of Object.keys(IG_ENTRY_SLICES)) {
      expect([...exampleTypes, ...bundled]).not.toContain(type);
    }
  });

  it('claim the profile the bundle slice names and are entries of the sections the IG gives them', () => {
    const composition = tonet.entry?.[0]?.resource as Composition;
    const structured = composition.section?.find((section) => sectionCode(section) === '300')?.section ?? [];
    for (const [type, slice] of Object.entries(IG_ENTRY_SLICES)) {
      const resources = (tonet.entry ?? []).filter((entry) => entry.resource?.resourceType === type);
      expect({ type, profiles: sorted(resources.flatMap((entry) => entry.resource?.meta?.profile ?? [])) }).toEqual({ type, profiles: sorted([slice.profile]) });
      const citing = structured.filter((section) => (section.entry ?? []).some((reference) => resources.some((entry) => entry.fullUrl === reference.reference)));
      expect(citing.map(sectionCode).every((code) => slice.sections.includes(code))).toBe(true);
      // Every resource of the type is some allowed section's entry, none left unreferenced.
      expect(resources.every((entry) => citing.some((section) => section.entry?.some((reference) => reference.reference === entry.fullUrl)))).toBe(true);
    }
  });
});
