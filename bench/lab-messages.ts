/**
 * HL7 v2.5 lab results (OUL^R22, JAHIS shape) for the MLLP phase: message i is built from its own seeded
 * stream, so any range of messages can be made on demand, the same on every run, without holding a flood
 * in memory. The builder follows tests/support/hl7-messages.ts (which the build does not include), with the
 * patient's name, birth date and sex drawn per patient so that a patient's messages agree with each other.
 */
import { FAMILY_NAMES, GIVEN_NAMES, JLAC10 } from './codes';
import { FIRST_YEAR, LAST_YEAR } from './dataset';
import { Prng } from './prng';

/** Keeps the message streams apart from the patient streams of the FHIR data set, which use the same seed. */
const MESSAGE_STREAM = 0x4f554c;

interface LabPatient {
  /** 患者番号 the facility's patient number (PID-3). */
  facilityPatientId: string;
  familyKanji: string;
  givenKanji: string;
  familyKana: string;
  givenKana: string;
  birthDate: string;
  sex: 'M' | 'F';
}

export interface LabMessageSource {
  /** Message `index` with `token` in MSH-8, UTF-8 bytes without the MLLP frame. */
  message(index: number, token: string): Buffer;
}

export function labMessageSource(seed: number, patients: number): LabMessageSource {
  return {
    message(index, token) {
      const rng = new Prng(seed, MESSAGE_STREAM, index);
      const patient = labPatient(seed, rng.int(0, patients - 1));
      const test = rng.pick(JLAC10);
      const value = Math.max(0, rng.normal(test.mean, test.sd)).toFixed(test.decimals);
      const flag = Number(value) > test.high ? 'H' : Number(value) < test.low ? 'L' : '';
      // 検査日時 observation time, local (JST) as the sender writes it: yyyyMMddHHmm during clinic hours.
      const observedAt = `${rng.int(FIRST_YEAR, LAST_YEAR)}${pad(rng.int(1, 12))}${pad(rng.int(1, 28))}${pad(rng.int(8, 17))}${pad(rng.int(0, 59))}`;
      const orderNumber = `B${String(index).padStart(9, '0')}`;
      const segments = [
        // MSH-8 (Security) carries the gateway's access token over MLLP.
        `MSH|^~\\&|LAB|SEND|GW|RCV|${observedAt}00|${token}|OUL^R22^OUL_R22|BENCH${index}|P|2.5`,
        `PID|0001||${patient.facilityPatientId}^^^^PI||${patient.familyKanji}^${patient.givenKanji}^^^^^L^I~${patient.familyKana}^${patient.givenKana}^^^^^L^P||${patient.birthDate}|${patient.sex}`,
        `PV1|0001|O|01^^^^^C`,
        `SPM|1|${orderNumber}S||023^血清^JC10|||||||||||||${observedAt}`,
        `OBR|1|${orderNumber}|${orderNumber}F|E001^検体検査^99O03|||${observedAt.slice(0, 8)}|${observedAt.slice(0, 8)}`,
        `ORC|SC|${orderNumber}|${orderNumber}F||CM||||${observedAt}00`,
        `OBX|1|NM|${test.code}^${test.display}^JC10||${value}|${test.unit}^${test.unit}^99XYZ|${test.low}-${test.high}|${flag}|||F|||${observedAt}`,
      ];
      return Buffer.from(segments.join('\r') + '\r', 'utf8');
    },
  };
}

function labPatient(seed: number, index: number): LabPatient {
  const rng = new Prng(seed, MESSAGE_STREAM, -1 - index);
  const female = rng.next() < 0.5;
  const family = rng.pick(FAMILY_NAMES);
  const given = rng.pick(GIVEN_NAMES[female ? 'female' : 'male']);
  return {
    facilityPatientId: String(500000 + index).padStart(8, '0'),
    familyKanji: family.kanji,
    givenKanji: given.kanji,
    familyKana: family.kana,
    givenKana: given.kana,
    birthDate: `${rng.int(1930, 2015)}${pad(rng.int(1, 12))}${pad(rng.int(1, 28))}`,
    sex: female ? 'F' : 'M',
  };
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
