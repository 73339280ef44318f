import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type {
  AllergyIntolerance,
  Bundle,
  Composition,
  CompositionSection,
  Condition,
  Encounter,
  Immunization,
  MedicationRequest,
  Observation,
  Organization,
  Patient,
  Practitioner,
  Procedure,
  Resource,
} from '@medplum/fhirtypes';
import { mapCdaReferral } from '../../../src/mapping/cda';
import type { SendingFacility } from '../../../src/mapping/types';
import { validationErrors } from '../fhir-validation';

const XML = readFileSync(path.join(__dirname, 'referral-jmix.xml'), 'utf8');
const FACILITY: SendingFacility = { code: '1318814790', organizationReference: 'Organization/minato-clinic' };
const SECTION_SYSTEM = 'http://jpfhir.jp/fhir/clins/CodeSystem/document-section';
const REPRESENTATION_URL = 'http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation';

function resolve<T extends Resource>(bundle: Bundle, reference: string | undefined): T {
  const entry = bundle.entry?.find((candidate) => candidate.fullUrl === reference);
  if (!entry?.resource) throw new Error(`${reference} is not in the bundle`);
  return entry.resource as T;
}

function clinsCode(section: CompositionSection): string | undefined {
  return section.code?.coding?.find((coding) => coding.system === SECTION_SYSTEM)?.code;
}

function structuredSection(composition: Composition, code: string): CompositionSection {
  const section = composition.section?.find((candidate) => clinsCode(candidate) === '300')?.section?.find((sub) => clinsCode(sub) === code);
  if (!section) throw new Error(`no section ${code}`);
  return section;
}

describe('mapCdaReferral on a full 診療情報提供書', () => {
  const { bundle, documentReference, issues } = mapCdaReferral(XML, FACILITY);
  const composition = bundle.entry?.[0]?.resource as Composition;

  it('builds a document bundle with the JP-CLINS identifier, the document time and entries in eReferral order', () => {
    expect(bundle.type).toBe('document');
    expect(bundle.identifier).toEqual({ system: 'http://jpfhir.jp/fhir/clins/bundle-identifier', value: '1318814790^2024^REF-2024-000123' });
    expect(bundle.timestamp).toBe('2024-04-15T10:30:00+09:00');
    expect(bundle.entry?.map((entry) => entry.resource?.resourceType)).toEqual([
      'Composition',
      'Patient',
      'Practitioner',
      'Practitioner',
      'Organization',
      'Organization',
      'Encounter',
      'Encounter',
      'Condition',
      'Condition',
      'AllergyIntolerance',
      'AllergyIntolerance',
      'Observation',
      'Observation',
      'Immunization',
      'Procedure',
      'Procedure',
      'MedicationRequest',
    ]);
    for (const entry of bundle.entry ?? []) {
      expect(entry.fullUrl).toBe(`urn:uuid:${entry.resource?.id}`);
      expect(entry.resource?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });

  it('reports only the patient ids, entries and section it could not map, each with its element path', () => {
    expect(issues).toEqual([
      expect.objectContaining({
        severity: 'warning',
        segment: '/ClinicalDocument/recordTarget/patientRole/id',
        message: expect.stringContaining('urn:oid:1.2.392.100495.20.3.51.11311234567'),
      }),
      expect.objectContaining({
        severity: 'warning',
        segment: '/ClinicalDocument/component/structuredBody/component[2]/section/entry[2]',
        message: expect.stringContaining('no coded value'),
      }),
    ]);
  });

  it('maps the header to the Composition', () => {
    expect(composition.type.coding).toEqual([
      { system: 'http://jpfhir.jp/fhir/Common/CodeSystem/doc-typecodes', code: '57133-1', display: '診療情報提供書' },
    ]);
    expect(composition.category?.[0]?.coding?.[0]).toMatchObject({ system: 'http://jpfhir.jp/fhir/Common/CodeSystem/doc-subtypecodes', code: 'OUTPATIENT' });
    // JP-CLINS document id: 医療機関コード^発行年^文書番号; the CDA id stays the DocumentReference's masterIdentifier.
    expect(composition.identifier).toEqual({ system: 'http://jpfhir.jp/fhir/core/IdSystem/resourceInstance-identifier', value: '1318814790^2024^REF-2024-000123' });
    expect(composition.event).toEqual([{ code: [{ text: '診療情報提供書発行' }], period: { start: '2024-04-15' } }]);
    expect(resolve<Encounter>(bundle, composition.encounter?.reference)).toMatchObject({ status: 'finished', class: { code: 'AMB' }, period: { start: '2024-04-15' } });
    expect(composition.extension).toEqual([
      { url: 'http://hl7.org/fhir/StructureDefinition/composition-clinicaldocument-versionNumber', valueString: '1' },
    ]);
    expect(composition).toMatchObject({ status: 'final', title: '診療情報提供書', date: '2024-04-15T10:30:00+09:00', language: 'ja-JP', confidentiality: 'N' });
    expect(resolve<Patient>(bundle, composition.subject?.reference).resourceType).toBe('Patient');
    const [authorPractitioner, authorOrganization] = composition.author.map((author) => resolve<Practitioner | Organization>(bundle, author.reference));
    expect(authorPractitioner.identifier).toEqual([{ system: 'urn:oid:1.2.392.100495.20.3.41.11318814790', value: 'D001' }]);
    expect((authorOrganization as Organization).name).toBe('港診療所');
    // custodian and author organization are one resource; legal authenticator and author one practitioner
    expect(composition.custodian?.reference).toBe(composition.author[1].reference);
    expect(composition.attester).toEqual([{ mode: 'legal', party: composition.author[0], time: '2024-04-15T10:30:00+09:00' }]);
  });

  it('maps the patient with kanji and kana names and the one patient id JP_Patient_eCS holds, the facility\'s', () => {
    const patient = resolve<Patient>(bundle, composition.subject?.reference);
    expect(patient.identifier).toEqual([{ system: 'urn:oid:1.2.392.100495.20.3.51.11318814790', value: '000999739', assigner: { display: '紹介元' } }]);
    expect(patient.name).toEqual([
      { extension: [{ url: REPRESENTATION_URL, valueCode: 'IDE' }], use: 'usual', text: '牧野 爛漫', family: '牧野', given: ['爛漫'] },
      { extension: [{ url: REPRESENTATION_URL, valueCode: 'SYL' }], use: 'usual', text: 'マキノ ランマン', family: 'マキノ', given: ['ランマン'] },
    ]);
    expect(patient.gender).toBe('female');
    expect(patient.birthDate).toBe('1930-06-28');
    expect(patient.address).toEqual([
      { use: 'home', text: '高知県高知市五台山4200-6', line: ['五台山4200-6'], city: '高知市', state: '高知県', postalCode: '781-8125' },
    ]);
    expect(patient.telecom).toEqual([{ system: 'phone', value: '088-123-1234', use: 'home' }]);
  });

  it('composes the 10-digit institution number of sender and receiver and keeps its parts as the JP Core extensions', () => {
    const organizations = bundle.entry?.map((entry) => entry.resource).filter((resource): resource is Organization => resource?.resourceType === 'Organization');
    expect(organizations?.map((organization) => [organization.name, organization.identifier?.[0]])).toEqual([
      ['港診療所', { system: 'http://jpfhir.jp/fhir/core/IdSystem/insurance-medical-institution-no', value: '1318814790' }],
      ['東京第一テスト病院', { system: 'http://jpfhir.jp/fhir/core/IdSystem/insurance-medical-institution-no', value: '1311234567' }],
    ]);
    expect(organizations?.[1]?.identifier).toHaveLength(1);
    expect(organizations?.[1]?.extension).toEqual([
      { url: 'http://jpfhir.jp/fhir/core/Extension/StructureDefinition/JP_Organization_PrefectureNo', valueCoding: { system: 'http://jpfhir.jp/fhir/core/mhlw/CodeSystem/PrefectureNo-2digits', code: '13' } },
      { url: 'http://jpfhir.jp/fhir/core/Extension/StructureDefinition/JP_Organization_InsuranceOrganizationCategory', valueCoding: { system: 'http://jpfhir.jp/fhir/core/mhlw/CodeSystem/MedicationFeeScoreType', code: '1' } },
      { url: 'http://jpfhir.jp/fhir/core/Extension/StructureDefinition/JP_Organization_InsuranceOrganizationNo', valueIdentifier: { system: 'http://jpfhir.jp/fhir/core/mhlw/IdSystem/MedicalOrganizationID', value: '1234567' } },
    ]);
  });

  it('puts sender (920) and receiver (910) sections first, then the structured sections under 300, then 備考 (220)', () => {
    expect(composition.section?.map(clinsCode)).toEqual(['920', '910', '300', '220']);
    const [sender, receiver] = composition.section ?? [];
    expect(sender.entry?.map((entry) => entry.type)).toEqual(['Organization', 'Practitioner']);
    expect(receiver.text?.div).toBe('<div xmlns="http://www.w3.org/1999/xhtml"><p>東京第一テスト病院</p><p>野口 英世丸</p></div>');
    const receivingDoctor = resolve<Practitioner>(bundle, receiver.entry?.[1]?.reference);
    expect(receivingDoctor.name?.[0]?.text).toBe('野口 英世丸');
    const structured = composition.section?.[2]?.section ?? [];
    // In the IG's order, one JP-CLINS coding each, narrative status additional as the IG fixes it.
    expect(structured.map(clinsCode)).toEqual(['950', '340', '360', '370', '510', '550', '610', '530', '730', '720', '430', '620', '330']);
    expect(structured.every((section) => section.code?.coding?.length === 1 && section.text?.status === 'additional')).toBe(true);
    expect(composition.section?.[3]).toMatchObject({ title: '備考・連絡情報', text: { div: '<div xmlns="http://www.w3.org/1999/xhtml">紹介状の返書をお願いします。</div>' } });
    // 紹介目的: the Encounter asked of the receiving facility, its reason the section's words.
    const purpose = resolve<Encounter>(bundle, structured[0].entry?.[0]?.reference);
    expect(purpose).toMatchObject({ status: 'planned', class: { code: 'AMB' }, reasonCode: [{ text: '腹痛精査をお願いします。' }] });
  });

  it('renders the CDA narrative as safe XHTML', () => {
    expect(structuredSection(composition, '360').text).toEqual({
      status: 'additional',
      div: '<div xmlns="http://www.w3.org/1999/xhtml">2024年3月上旬から夜食後に時々<span>上腹部痛</span>があり、<br/>だんだんひどくなっている。</div>',
    });
    expect(structuredSection(composition, '340').text?.div).toContain('<td colspan="2">主訴：上腹部痛 &amp; 食欲低下</td>');
    const course = structuredSection(composition, '330').text?.div;
    expect(course).toBe(
      '<div xmlns="http://www.w3.org/1999/xhtml">PPI 投与で改善せず。詳細 参照: <a href="https://example.org/a?b=1&amp;c=2">資料</a> 山</div>',
    );
    expect(structuredSection(composition, '620').text?.div).toContain('<td>35 U/L &lt; 40</td>');
    // a nested CDA section, recognised by its title alone
    expect(structuredSection(composition, '550')).toMatchObject({ title: '家族歴', text: { div: '<div xmlns="http://www.w3.org/1999/xhtml">母 胃がん</div>' } });
  });

  it('maps coded problems to Conditions, keeping ICD-10, MEDIS and unknown codings', () => {
    const [gastritis] = structuredSection(composition, '340').entry ?? [];
    const condition = resolve<Condition>(bundle, gastritis.reference);
    expect(condition.code).toEqual({
      coding: [
        { system: 'http://jpfhir.jp/fhir/core/mhlw/CodeSystem/ICD10-2013-full', code: 'K297', display: '胃炎，詳細不明' },
        { system: 'http://medis.or.jp/CodeSystem/master-disease-keyNumber', code: '20054174', display: '胃炎' },
        { system: 'urn:oid:2.999.1318814790.99', code: 'LOC-77', display: '慢性胃炎（院内）' },
      ],
      text: '慢性胃炎',
    });
    expect(condition.identifier).toEqual([{ system: 'urn:oid:2.999.1318814790.3', value: 'DX-1' }]);
    expect(condition.subject.reference).toBe(composition.subject?.reference);
    expect(condition.clinicalStatus?.coding?.[0]?.code).toBe('active');
    expect(condition.onsetDateTime).toBe('2024-03-01');

    const pastIllness = resolve<Condition>(bundle, structuredSection(composition, '370').entry?.[0]?.reference);
    expect(pastIllness.code?.coding?.[0]?.code).toBe('I209');
    expect(pastIllness.clinicalStatus?.coding?.[0]?.code).toBe('resolved');
    expect([pastIllness.onsetDateTime, pastIllness.abatementDateTime]).toEqual(['2018-04', '2018-06']);
  });

  it('maps allergies with category from the intolerance type and the allergen from the consumable', () => {
    const [drug, food] = (structuredSection(composition, '510').entry ?? []).map((entry) => resolve<AllergyIntolerance>(bundle, entry.reference));
    expect(drug).toMatchObject({
      type: 'allergy',
      category: ['medication'],
      code: { coding: [{ system: 'http://medis.or.jp/CodeSystem/master-HOT9', code: '108665201', display: 'ダーゼン錠（５mg)' }] },
      onsetDateTime: '2020-01-10',
      reaction: [{ manifestation: [{ coding: [{ system: 'http://medis.or.jp/CodeSystem/master-disease-exCode', code: 'B0EF', display: '発疹' }] }] }],
    });
    expect(drug.patient.reference).toBe(composition.subject?.reference);
    expect(food).toMatchObject({ category: ['food'], code: { text: 'さば' } });
    expect(food.code?.coding).toBeUndefined();
  });

  it('maps the lab result to an Observation with its JLAC10 code and UCUM quantity', () => {
    const result = resolve<Observation>(bundle, structuredSection(composition, '620').entry?.[0]?.reference);
    expect(result).toMatchObject({
      status: 'final',
      category: [{ coding: [{ system: 'http://jpfhir.jp/fhir/core/CodeSystem/JP_SimpleObservationCategory_CS', code: 'laboratory' }] }],
      code: { coding: [{ system: 'http://medis.or.jp/CodeSystem/master-JLAC10-17digits', code: '3B035000002327201', display: 'AST' }] },
      valueQuantity: { value: 35, unit: 'U/L', system: 'http://unitsofmeasure.org', code: 'U/L' },
    });
  });

  it('maps the physical finding to an Observation of category exam, its item and finding in words as the IG allows', () => {
    const finding = resolve<Observation>(bundle, structuredSection(composition, '610').entry?.[0]?.reference);
    expect(finding).toMatchObject({
      meta: { profile: ['http://jpfhir.jp/fhir/eCS/StructureDefinition/JP_Observation_Common_eCS'] },
      status: 'final',
      category: [{ coding: [{ system: 'http://jpfhir.jp/fhir/core/CodeSystem/JP_SimpleObservationCategory_CS', code: 'exam', display: 'Exam' }] }],
      code: { text: '腹部所見' },
      effectiveDateTime: '2024-04-15',
      valueString: '上腹部圧痛あり、その他特に所見なし。',
    });
    expect(finding.code.coding).toBeUndefined();
  });

  it('maps the vaccination to a JP_Immunization_eCS with its vaccine, date, route, site, dose and lot', () => {
    const immunization = resolve<Immunization>(bundle, structuredSection(composition, '530').entry?.[0]?.reference);
    expect(immunization).toEqual({
      resourceType: 'Immunization',
      id: immunization.id,
      meta: { profile: ['http://jpfhir.jp/fhir/eCS/StructureDefinition/JP_Immunization_eCS'] },
      extension: [
        {
          url: 'http://jpfhir.jp/fhir/clins/Extension/StructureDefinition/JP_eCS_InstitutionNumber',
          valueIdentifier: { system: 'http://jpfhir.jp/fhir/core/IdSystem/insurance-medical-institution-no', value: '1318814790' },
        },
      ],
      identifier: [{ system: 'urn:oid:2.999.1318814790.6', value: 'IMM-1' }],
      status: 'completed',
      vaccineCode: { coding: [{ system: 'urn:oid:2.999.1318814790.96', code: 'FLU-HA', display: 'インフルエンザHAワクチン' }], text: 'インフルエンザHAワクチン' },
      patient: composition.subject,
      occurrenceDateTime: '2023-10-20',
      lotNumber: 'HA-2023-07',
      site: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActSite', code: 'LA', display: '左腕' }], text: '左腕' },
      route: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration', code: 'SQ', display: '皮下注射' }], text: '皮下注射' },
      doseQuantity: { value: 0.5, unit: 'mL' },
    });
  });

  it('maps surgery (730) and treatment (720) to JP_Procedure_eCS, a single date as performedDateTime and low/high as a period', () => {
    const surgery = resolve<Procedure>(bundle, structuredSection(composition, '730').entry?.[0]?.reference);
    expect(surgery).toMatchObject({
      meta: { profile: ['http://jpfhir.jp/fhir/eCS/StructureDefinition/JP_Procedure_eCS'] },
      identifier: [{ system: 'urn:oid:2.999.1318814790.7', value: 'OP-1' }],
      status: 'completed',
      code: { coding: [{ system: 'urn:oid:2.999.1318814790.97', code: 'OP-LC', display: '腹腔鏡下胆嚢摘出術' }] },
      subject: composition.subject,
      performedDateTime: '2019-05-15',
      bodySite: [{ coding: [{ system: 'http://medis.or.jp/CodeSystem/master-disease-modExCode', code: '1244', display: '腹部' }], text: '腹部' }],
    });
    // A procedure the letter states as done without a statusCode is a completed one; its name in words only.
    const treatment = resolve<Procedure>(bundle, structuredSection(composition, '720').entry?.[0]?.reference);
    expect(treatment).toMatchObject({ status: 'completed', code: { text: '内視鏡的止血術' }, performedPeriod: { start: '2024-04-10', end: '2024-04-10' } });
    expect(treatment.code?.coding).toBeUndefined();
  });

  it('maps the prescription to a MedicationRequest with the HOT9 code and its dosage', () => {
    const request = resolve<MedicationRequest>(bundle, structuredSection(composition, '430').entry?.[0]?.reference);
    expect(request).toMatchObject({
      status: 'active',
      intent: 'order',
      identifier: [{ system: 'urn:oid:2.999.1318814790.5', value: 'RX-1' }],
      medicationCodeableConcept: { coding: [{ system: 'http://medis.or.jp/CodeSystem/master-HOT9', code: '108665201' }] },
    });
    expect(request.dosageInstruction).toEqual([
      {
        text: 'ダーゼン錠（５mg) 1回1錠 1日3回 朝昼夕食後 14日分',
        timing: { repeat: { boundsPeriod: { start: '2024-04-01', end: '2024-04-14' } } },
        route: { coding: [{ system: 'http://jpfhir.jp/fhir/core/CodeSystem/route-codes', code: 'PO', display: '口' }], text: '口' },
        doseAndRate: [{ doseQuantity: { value: 1, unit: '錠' } }],
      },
    ]);
  });

  it('keeps the original XML in the DocumentReference with size and SHA-1 hash', () => {
    const attachment = documentReference.content[0].attachment;
    const bytes = Buffer.from(attachment.data ?? '', 'base64');
    expect(bytes.toString('utf8')).toBe(XML);
    expect(attachment).toMatchObject({ contentType: 'application/cda+xml', size: Buffer.byteLength(XML, 'utf8'), title: '診療情報提供書' });
    expect(attachment.hash).toBe(createHash('sha1').update(XML, 'utf8').digest('base64'));
    expect(documentReference.type?.coding).toEqual([
      { system: 'http://loinc.org', code: '57133-1', display: 'Referral note' },
      { system: 'urn:oid:1.2.392.200119.5.3.1', code: 'MD0020730', display: '診療情報提供書' },
    ]);
    expect(documentReference.masterIdentifier).toEqual({ system: 'urn:oid:2.999.1318814790.1', value: 'REF-2024-000123' });
    expect(documentReference.subject?.identifier?.value).toBe('000999739');
    expect(documentReference.custodian).toEqual({ reference: 'Organization/minato-clinic' });
    expect(documentReference.date).toBe('2024-04-15T10:30:00+09:00');
  });

  it('produces valid FHIR R4', () => {
    expect(validationErrors(bundle)).toEqual([]);
    expect(validationErrors(documentReference)).toEqual([]);
  });

  it('is deterministic: the same letter maps to the same bundle', () => {
    expect(mapCdaReferral(XML, FACILITY)).toEqual(mapCdaReferral(XML, FACILITY));
  });
});

describe('mapCdaReferral on variants of the letter', () => {
  it('records a vaccination the letter negates as not done', () => {
    const { bundle } = mapCdaReferral(XML.replace('<substanceAdministration classCode="SBADM" moodCode="EVN">', '<substanceAdministration classCode="SBADM" moodCode="EVN" negationInd="true">'), FACILITY);
    const immunization = bundle.entry?.find((entry) => entry.resource?.resourceType === 'Immunization')?.resource as Immunization;
    expect(immunization.status).toBe('not-done');
  });

  it('builds no resource from an undated vaccination or a planned operation, and says what each lacks', () => {
    const variant = XML.replace('<effectiveTime value="20231020"/>', '').replace('<procedure classCode="PROC" moodCode="EVN">\n              <id', '<procedure classCode="PROC" moodCode="INT">\n              <id');
    const { bundle, issues } = mapCdaReferral(variant, FACILITY);
    const types = bundle.entry?.map((entry) => entry.resource?.resourceType);
    expect(types).not.toContain('Immunization');
    expect(types?.filter((type) => type === 'Procedure')).toHaveLength(1);
    expect(issues.map((issue) => issue.message).filter((message) => message.startsWith('entry not mapped'))).toEqual([
      expect.stringContaining('(no coded value)'),
      expect.stringContaining('(no vaccine with the date it was given)'),
      expect.stringContaining('(no procedure coded as done)'),
    ]);
  });

  it('accepts LOINC 57133-1 as the document code and then adds no second type coding', () => {
    const loinc = XML.replace(
      '<code code="MD0020730" codeSystem="1.2.392.200119.5.3.1" codeSystemName="JMIX" displayName="診療情報提供書"/>',
      '<code code="57133-1" codeSystem="2.16.840.1.113883.6.1" displayName="Referral note"/>',
    );
    const { bundle, documentReference, issues } = mapCdaReferral(loinc, FACILITY);
    expect(issues.filter((issue) => issue.severity === 'error')).toEqual([]);
    expect(bundle.entry?.length).toBe(18);
    expect(documentReference.type?.coding).toEqual([{ system: 'http://loinc.org', code: '57133-1', display: 'Referral note' }]);
  });

  it('warns when the patient has no id of the sending facility, and the DocumentReference then names no subject', () => {
    const { issues, documentReference } = mapCdaReferral(XML, { code: '1319999999', organizationReference: 'Organization/other' });
    expect(issues).toContainEqual(
      expect.objectContaining({ severity: 'warning', code: '101', message: expect.stringContaining('1.2.392.100495.20.3.51.11319999999') }),
    );
    expect(issues).toContainEqual(expect.objectContaining({ message: "the author's institution 1318814790 is not the sending facility 1319999999" }));
    expect(documentReference.subject).toBeUndefined();
  });

  it('assumes Japan time for a timestamp without zone, and warns when recipient and encounter are missing', () => {
    const bare = XML.replace('20240415103000+0900"/>\n  <confidentialityCode', '202404151130"/>\n  <confidentialityCode')
      .replace(/<informationRecipient>[\s\S]*<\/informationRecipient>/, '')
      .replace(/<componentOf>[\s\S]*<\/componentOf>/, '');
    const { bundle, issues } = mapCdaReferral(bare, FACILITY);
    const composition = bundle.entry?.[0]?.resource as Composition;
    expect(composition.date).toBe('2024-04-15T11:30:00+09:00');
    expect(composition.category).toBeUndefined();
    expect(composition.section?.map(clinsCode)).toEqual(['920', '300', '220']);
    expect(issues.map((issue) => issue.segment)).toEqual(
      expect.arrayContaining(['/ClinicalDocument/informationRecipient', '/ClinicalDocument/componentOf/encompassingEncounter/code']),
    );
    expect(validationErrors(bundle)).toEqual([]);
  });

  it('rejects a document that is not XML, naming the position', () => {
    const { bundle, documentReference, issues } = mapCdaReferral('<ClinicalDocument xmlns="urn:hl7-org:v3"><title>x</ClinicalDocument>', FACILITY);
    expect(issues).toEqual([
      expect.objectContaining({ severity: 'error', code: '102', message: expect.stringMatching(/unparseable.*line 1, column \d+/) }),
    ]);
    expect(bundle.entry).toBeUndefined();
    expect(Buffer.from(documentReference.content[0].attachment.data ?? '', 'base64').toString()).toContain('<title>x</ClinicalDocument>');
  });

  it('rejects a DOCTYPE (no entity expansion in the mapper)', () => {
    const { issues } = mapCdaReferral(`<!DOCTYPE x [<!ENTITY a "aaaa">]>${XML.replace(/^<\?xml[^>]*>/, '')}`, FACILITY);
    expect(issues).toEqual([expect.objectContaining({ severity: 'error', message: expect.stringContaining('DOCTYPE') })]);
  });

  it('rejects a root that is not an HL7 v3 ClinicalDocument', () => {
    expect(mapCdaReferral('<Message xmlns="urn:hl7-org:v3"/>', FACILITY).issues).toEqual([
      expect.objectContaining({ severity: 'error', code: '200', segment: '/Message', message: expect.stringContaining('<Message>') }),
    ]);
    const noNamespace = mapCdaReferral(XML.replace('<ClinicalDocument xmlns="urn:hl7-org:v3"', '<ClinicalDocument'), FACILITY);
    expect(noNamespace.issues).toEqual([expect.objectContaining({ severity: 'error', code: '200', message: expect.stringContaining('namespace (none)') })]);
  });

  it('rejects another document type', () => {
    const dischargeSummary = XML.replace(
      '<code code="MD0020730" codeSystem="1.2.392.200119.5.3.1" codeSystemName="JMIX" displayName="診療情報提供書"/>',
      '<code code="18842-5" codeSystem="2.16.840.1.113883.6.1"/>',
    );
    expect(mapCdaReferral(dischargeSummary, FACILITY).issues).toEqual([
      expect.objectContaining({ severity: 'error', code: '200', segment: '/ClinicalDocument/code', message: expect.stringContaining('18842-5') }),
    ]);
  });

  it('rejects a letter without recordTarget, naming the element path', () => {
    const { bundle, issues } = mapCdaReferral(XML.replace(/<recordTarget>[\s\S]*<\/recordTarget>/, ''), FACILITY);
    expect(issues).toEqual([
      expect.objectContaining({
        severity: 'error',
        code: '101',
        segment: '/ClinicalDocument/recordTarget',
        message: '/ClinicalDocument/recordTarget/patientRole is missing',
      }),
    ]);
    expect(bundle).toEqual({ resourceType: 'Bundle', type: 'document' });
  });

  it('understands a prefixed HL7 namespace', () => {
    const prefixed = XML.replace(/<(\/?)([A-Za-z]+)([\s>/])/g, (match, slash: string, name: string, after: string) =>
      name === 'xml' ? match : `<${slash}v3:${name}${after}`,
    ).replace('xmlns="urn:hl7-org:v3"', 'xmlns:v3="urn:hl7-org:v3"');
    expect(prefixed).toContain('<v3:patientRole>');
    const result = mapCdaReferral(prefixed, FACILITY);
    expect(result.issues.filter((issue) => issue.severity === 'error')).toEqual([]);
    const original = mapCdaReferral(XML, FACILITY).bundle;
    expect(result.bundle.entry?.map((entry) => entry.resource)).toEqual(original.entry?.map((entry) => entry.resource));
  });
});
