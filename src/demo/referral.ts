/**
 * The demo's referral letter (診療情報提供書): a CDA R2 document in the HL7 Japan / JAHIS header shape, as a
 * clinic's electronic chart writes it, which the demo imports through `POST /fhir/$import-cda` like any
 * facility's document. The letter's content is data (region.ts); this file only lays it out as CDA.
 */
import type { DemoFacility, DemoResident } from './region';

export interface ReferralInput {
  /** setId / id extension: the letter's number at the sending clinic. */
  letterNumber: string;
  from: DemoFacility;
  to: DemoFacility;
  resident: DemoResident;
  /** The resident's patient number at the sending clinic. */
  localId: string;
  author: { id: string; family: string; given: string };
  recipient: { family: string; given: string };
  /** yyyyMMddHHmm, Japan time. */
  writtenAt: string;
  purpose: string;
  /** ICD-10 (without the dot) and the diagnosis as written. */
  problems: { icd10: string; name: string; since?: string }[];
  history: string;
  /** Latest results quoted in the letter: JLAC10 code, name, value, unit. */
  results: { code: string; name: string; value: number; unit: string }[];
}

const LOINC = '2.16.840.1.113883.6.1';
const ICD10 = '2.16.840.1.113883.6.3';
const JLAC10 = '1.2.392.200119.4.504';

export function referralLetter(input: ReferralInput): string {
  const { from, to, resident } = input;
  const date = input.writtenAt.slice(0, 8);
  const time = `${input.writtenAt}00+0900`;
  const documentRoot = `2.999.${from.code}`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>
  <id root="${documentRoot}.1" extension="${x(input.letterNumber)}"/>
  <code code="MD0020730" codeSystem="1.2.392.200119.5.3.1" codeSystemName="JMIX" displayName="診療情報提供書"/>
  <title>診療情報提供書</title>
  <effectiveTime value="${time}"/>
  <confidentialityCode code="N" codeSystem="2.16.840.1.113883.5.25"/>
  <languageCode code="ja-JP"/>
  <setId root="${documentRoot}.2" extension="${x(input.letterNumber)}"/>
  <versionNumber value="1"/>
  <recordTarget>
    <patientRole>
      <id root="1.2.392.100495.20.3.51.1${from.code}" extension="${x(input.localId)}" assigningAuthorityName="紹介元"/>
      <patient>
        <name use="IDE"><family>${x(resident.family)}</family><given>${x(resident.given)}</given></name>
        <name use="SYL"><family>${x(resident.familyKana)}</family><given>${x(resident.givenKana)}</given></name>
        <administrativeGenderCode code="${resident.gender === 'male' ? 'M' : 'F'}" codeSystem="2.16.840.1.113883.5.1"/>
        <birthTime value="${resident.birthDate.replace(/-/g, '')}"/>
      </patient>
    </patientRole>
  </recordTarget>
  <author>
    <time value="${date}"/>
    <assignedAuthor>
      <id root="1.2.392.100495.20.3.41.1${from.code}" extension="${x(input.author.id)}"/>
      <assignedPerson><name use="IDE"><family>${x(input.author.family)}</family><given>${x(input.author.given)}</given></name></assignedPerson>
      ${organization('representedOrganization', from)}
    </assignedAuthor>
  </author>
  <custodian>
    <assignedCustodian>
      ${organization('representedCustodianOrganization', from)}
    </assignedCustodian>
  </custodian>
  <informationRecipient>
    <intendedRecipient>
      <informationRecipient><name use="IDE"><family>${x(input.recipient.family)}</family><given>${x(input.recipient.given)}</given></name></informationRecipient>
      ${organization('receivedOrganization', to)}
    </intendedRecipient>
  </informationRecipient>
  <legalAuthenticator>
    <time value="${time}"/>
    <signatureCode code="S"/>
    <assignedEntity>
      <id root="1.2.392.100495.20.3.41.1${from.code}" extension="${x(input.author.id)}"/>
      <assignedPerson><name use="IDE"><family>${x(input.author.family)}</family><given>${x(input.author.given)}</given></name></assignedPerson>
    </assignedEntity>
  </legalAuthenticator>
  <componentOf>
    <encompassingEncounter>
      <code code="AMB" codeSystem="2.16.840.1.113883.5.4" displayName="外来"/>
      <effectiveTime value="${date}"/>
    </encompassingEncounter>
  </componentOf>
  <component>
    <structuredBody>
      ${section('42349-1', '紹介目的', `<paragraph>${x(input.purpose)}</paragraph>`)}
      ${section(
        '11450-4',
        '傷病名',
        `<list>${input.problems.map((p, i) => `<item ID="dx${i + 1}">${x(p.name)}</item>`).join('')}</list>`,
        input.problems.map(
          (p, i) => `<entry>
          <observation classCode="OBS" moodCode="EVN">
            <code code="29308-4" codeSystem="${LOINC}" displayName="Diagnosis"/>
            <statusCode code="completed"/>
            ${p.since ? `<effectiveTime><low value="${p.since.replace(/-/g, '')}"/></effectiveTime>` : ''}
            <value xsi:type="CD" code="${x(p.icd10)}" codeSystem="${ICD10}"><originalText><reference value="#dx${i + 1}"/></originalText></value>
          </observation>
        </entry>`
        )
      )}
      ${section('10164-2', '現病歴', x(input.history))}
      ${section(
        '30954-2',
        '検査結果',
        `<table><tbody>${input.results.map((r) => `<tr><td>${x(r.name)}</td><td>${r.value} ${x(r.unit)}</td></tr>`).join('')}</tbody></table>`,
        input.results.map(
          (r) => `<entry>
          <observation classCode="OBS" moodCode="EVN">
            <code code="${x(r.code)}" codeSystem="${JLAC10}" displayName="${x(r.name)}"/>
            <value xsi:type="PQ" value="${r.value}" unit="${x(r.unit)}"/>
          </observation>
        </entry>`
        )
      )}
    </structuredBody>
  </component>
</ClinicalDocument>
`;
}

/** The 10-digit institution code as CDA splits it: prefecture (2), point table (1), institution (7). */
function organization(element: string, facility: DemoFacility): string {
  return `<${element}>
        <id root="1.2.392.100495.20.3.21" extension="${facility.code.slice(0, 2)}"/>
        <id root="1.2.392.100495.20.3.22" extension="${facility.code.slice(2, 3)}"/>
        <id root="1.2.392.100495.20.3.23" extension="${facility.code.slice(3)}"/>
        <name>${x(facility.name)}</name>
      </${element}>`;
}

function section(loinc: string, title: string, text: string, entries: string[] = []): string {
  return `<component>
        <section>
          <code code="${loinc}" codeSystem="${LOINC}"/>
          <title>${x(title)}</title>
          <text>${text}</text>
          ${entries.join('\n          ')}
        </section>
      </component>`;
}

/** XML text and attribute escaping. */
function x(value: string): string {
  return value.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}
