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
