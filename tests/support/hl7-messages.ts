/**
 * HL7 v2.5 messages in the JAHIS / SS-MIX2 shapes, written as the region's gateways write them (UTF-8 here),
 * for tests that need many distinct messages. Field positions follow the NHO samples in tests/fixtures/third-party.
 */
export interface LabResult {
  controlId: string;
  patientId: string;
  orderNumber: string;
  /** JLAC10 17-digit code and its name, e.g. 3D046000001920402 HbA1c(NGSP). */
  code: string;
  name: string;
  value: string;
  unit: string;
  range: string;
  flag?: 'H' | 'L' | '';
  /** yyyyMMddHHmm */
  observedAt: string;
  token?: string;
}

export function labResultMessage(r: LabResult): string {
  return [
    // MSH-8 (Security) carries the gateway's access token over MLLP.
    `MSH|^~\\&|LAB|SEND|GW|RCV|${r.observedAt}00|${r.token ?? ''}|OUL^R22^OUL_R22|${r.controlId}|P|2.5`,
    `PID|0001||${r.patientId}^^^^PI||検査^花子^^^^^L^I~ケンサ^ハナコ^^^^^L^P||19560101|F`,
    `PV1|0001|O|01^^^^^C`,
    `SPM|1|${r.orderNumber}S||023^血清^JC10|||||||||||||${r.observedAt}`,
    `OBR|1|${r.orderNumber}|${r.orderNumber}F|E001^検体検査^99O03|||${r.observedAt.slice(0, 8)}|${r.observedAt.slice(0, 8)}`,
    `ORC|SC|${r.orderNumber}|${r.orderNumber}F||CM||||${r.observedAt}00`,
    `OBX|1|NM|${r.code}^${r.name}^JC10||${r.value}|${r.unit}^${r.unit}^99XYZ|${r.range}|${r.flag ?? ''}|||F|||${r.observedAt}`,
  ].join('\r') + '\r';
}

export interface BloodPressure {
  controlId: string;
  patientId: string;
  /** Either item may be left out: a bedside device may send them in separate messages. */
  systolic?: string;
  diastolic?: string;
  /** yyyyMMddHHmm */
  observedAt: string;
}

/** Extended storage's vital signs (ORU^R01, 拡張ストレージ バイタル) as tests/mapping/hl7v2/golden/VITAL-SIGNS.hl7: one OBX per item. */
export function bloodPressureMessage(r: BloodPressure): string {
  const items = [
    ['8480-6', '収縮期血圧', r.systolic],
    ['8462-4', '拡張期血圧', r.diastolic],
  ].filter((item): item is string[] => item[2] !== undefined);
  return [
    `MSH|^~\\&|HIS123|SEND|GW|RCV|${r.observedAt}00||ORU^R01^ORU_R01|${r.controlId}|P|2.5`,
    `PID|0001||${r.patientId}||検査^花子^^^^^L^I~ケンサ^ハナコ^^^^^L^P||19560101|F`,
    `PV1|0001|O|01^^^^^C`,
    `OBR|1|||VS^バイタルサイン^99XYV|||${r.observedAt}`,
    ...items.map(([code, name, value], i) => `OBX|${i + 1}|NM|${code}^${name}^LN||${value}|mm[Hg]^mm[Hg]^UCUM|||||F|||${r.observedAt}`),
  ].join('\r') + '\r';
}
