/**
 * The pathways Tonet ships (地域連携パス), as FHIR PlanDefinition + ActivityDefinition resources in the rule
 * language of rules.ts. They are loaded at start (pathway/catalogue.ts) and are then ordinary resources an
 * administrator edits with PUT; a changed rule is published under a new `version`.
 *
 * Codes: JLAC10 17-digit codes as used in 特定健診 (MHLW 標準的な健診・保健指導プログラム 令和6年度版, code table:
 * HbA1c 3D046000001920402, 空腹時血糖 3D010000001926101 / 3D010000002227101 / 3D010000001927201,
 * eGFR 8A065000002391901, LDL-C 3F077000002327101) and the laboratories' catalogues (尿中アルブミン 3A015-0000-004-061,
 * result code 01); LOINC beside them, and LOINC alone where JLAC10 has no code (vital signs, Barthel index 96761-2,
 * modified Rankin scale 75859-9, femur DXA 24701-5, 25-OH vitamin D 1989-3). Eye and foot examinations have no
 * lab code: they are Tonet codes (PATHWAY_TEST_SYSTEM) the facilities map their findings to.
 */
import type { ActivityDefinition, Coding, Extension, PlanDefinition } from '@medplum/fhirtypes';
import { SYSTEM } from '../mapping/hl7v2/codesystems';
import { ALERT_RULE_EXTENSION, Comparator, FollowUp, PATHWAY_ROLE_SYSTEM, Severity } from './rules';

export const PATHWAY_BASE = 'urn:tonet:pathway';
export const PATHWAY_TEST_SYSTEM = 'urn:tonet:pathway-test';
const LOINC = 'http://loinc.org';
export const SHIPPED_VERSION = '1.0.0';

const jlac10 = (code: string, display: string): Coding => ({ system: SYSTEM.jlac10, code, display });
const loinc = (code: string, display: string): Coding => ({ system: LOINC, code, display });

export const CODES = {
  hba1c: [jlac10('3D046000001920402', 'HbA1c(NGSP)'), loinc('4548-4', 'Hemoglobin A1c/Hemoglobin.total in Blood')],
  fastingGlucose: [
    jlac10('3D010000001926101', '空腹時血糖 (電位差法)'),
    jlac10('3D010000002227101', '空腹時血糖 (可視吸光光度法)'),
    jlac10('3D010000001927201', '空腹時血糖 (紫外吸光光度法)'),
    loinc('1558-6', 'Fasting glucose [Mass/volume] in Serum or Plasma'),
  ],
  egfr: [jlac10('8A065000002391901', 'eGFR'), loinc('33914-3', 'Glomerular filtration rate/1.73 sq M.predicted'), loinc('62238-1', 'Glomerular filtration rate/1.73 sq M.predicted (CKD-EPI)')],
  urineAlbumin: [jlac10('3A015000000406101', '尿中アルブミン'), loinc('14957-5', 'Microalbumin [Mass/volume] in Urine'), loinc('9318-7', 'Albumin/Creatinine [Mass Ratio] in Urine')],
  ldl: [jlac10('3F077000002327101', 'LDLコレステロール'), loinc('13457-7', 'Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation'), loinc('18262-6', 'Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay')],
  eyeExam: [{ system: PATHWAY_TEST_SYSTEM, code: 'diabetic-eye-exam', display: '眼科受診 (眼底検査)' }],
  footExam: [{ system: PATHWAY_TEST_SYSTEM, code: 'diabetic-foot-exam', display: 'フットケア (足の診察)' }],
  bmi: [loinc('39156-5', 'Body mass index (BMI) [Ratio]')],
  bloodPressure: [loinc('85354-9', 'Blood pressure panel with all children optional'), loinc('55284-4', 'Blood pressure systolic and diastolic')],
  systolic: loinc('8480-6', 'Systolic blood pressure'),
  diastolic: loinc('8462-4', 'Diastolic blood pressure'),
  barthel: [loinc('96761-2', 'Total score Barthel Index')],
  rankin: [loinc('75859-9', 'Modified Rankin Scale')],
  femurBoneDensity: [loinc('24701-5', 'Femur DXA Bone density')],
  vitaminD: [loinc('1989-3', '25-Hydroxyvitamin D3+25-Hydroxyvitamin D2 [Mass/volume] in Serum or Plasma')],
};

interface RuleSpec {
  id: string;
  severity: Severity;
  message: string;
  when: { measure?: Coding; comparator: Comparator; threshold: number }[];
}

interface ActivitySpec {
  name: string;
  title: string;
  codes: Coding[];
  months: number;
  followUp: FollowUp;
  rules?: RuleSpec[];
}

function ruleExtension(rule: RuleSpec): Extension {
  return {
    url: ALERT_RULE_EXTENSION,
    extension: [
      { url: 'id', valueId: rule.id },
      { url: 'severity', valueCode: rule.severity },
      { url: 'message', valueString: rule.message },
      ...rule.when.map((w) => ({
        url: 'when',
        extension: [...(w.measure ? [{ url: 'measure', valueCoding: w.measure }] : []), { url: 'comparator', valueCode: w.comparator }, { url: 'threshold', valueDecimal: w.threshold }],
      })),
    ],
  };
}

function activity(pathway: string, spec: ActivitySpec): ActivityDefinition {
  return {
    resourceType: 'ActivityDefinition',
    url: `${PATHWAY_BASE}:${pathway}:${spec.name}`,
    version: SHIPPED_VERSION,
    name: spec.name.replace(/-/g, '_'),
    title: spec.title,
    status: 'active',
    kind: 'ServiceRequest',
    code: { coding: spec.codes, text: spec.title },
    timingTiming: { repeat: { frequency: 1, period: spec.months % 12 === 0 ? spec.months / 12 : spec.months, periodUnit: spec.months % 12 === 0 ? 'a' : 'mo' } },
    participant: [{ type: 'practitioner', role: { coding: [{ system: PATHWAY_ROLE_SYSTEM, code: spec.followUp }] } }],
    extension: (spec.rules ?? []).map(ruleExtension),
  };
}

function pathway(name: string, title: string, description: string, activities: ActivitySpec[]): { plan: PlanDefinition; activities: ActivityDefinition[] } {
  const definitions = activities.map((a) => activity(name, a));
  return {
    activities: definitions,
    plan: {
      resourceType: 'PlanDefinition',
      url: `${PATHWAY_BASE}:${name}`,
      version: SHIPPED_VERSION,
      name,
      title,
      description,
      status: 'active',
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/plan-definition-type', code: 'clinical-protocol' }] },
      action: definitions.map((d) => ({ title: d.title, code: [d.code ?? {}], definitionCanonical: `${d.url}|${d.version}` })),
    },
  };
}

const bloodPressure = (months: number): ActivitySpec => ({
  name: 'blood-pressure',
  title: '血圧 (blood pressure, resident or facility)',
  codes: CODES.bloodPressure,
  months,
  followUp: 'follow-up-clinic',
  rules: [
    {
      id: 'bp-high',
      severity: 'medium',
      message: '血圧 ≥ 140/90 mmHg',
      when: [
        { measure: CODES.systolic, comparator: 'ge', threshold: 140 },
        { measure: CODES.diastolic, comparator: 'ge', threshold: 90 },
      ],
    },
  ],
});

export const SHIPPED_PATHWAYS = [
  pathway('diabetes', '糖尿病地域連携パス (diabetes)', 'Keeps people with diabetes off dialysis: glycaemic control, kidney function, eyes and feet, followed by the family clinic with the core hospital.', [
    { name: 'hba1c', title: 'HbA1c', codes: CODES.hba1c, months: 3, followUp: 'follow-up-clinic', rules: [{ id: 'hba1c-high', severity: 'high', message: 'HbA1c ≥ 8.0%', when: [{ comparator: 'ge', threshold: 8.0 }] }] },
    { name: 'fasting-glucose', title: '空腹時血糖 (fasting glucose)', codes: CODES.fastingGlucose, months: 3, followUp: 'follow-up-clinic', rules: [{ id: 'fasting-glucose-high', severity: 'medium', message: '空腹時血糖 ≥ 200 mg/dL', when: [{ comparator: 'ge', threshold: 200 }] }] },
    {
      name: 'egfr',
      title: 'eGFR',
      codes: CODES.egfr,
      months: 6,
      followUp: 'core-hospital',
      rules: [
        { id: 'egfr-low', severity: 'high', message: 'eGFR < 45 mL/min/1.73m²', when: [{ comparator: 'lt', threshold: 45 }] },
        { id: 'egfr-fall', severity: 'high', message: 'eGFR fell ≥ 25% from baseline', when: [{ comparator: 'fall-percent', threshold: 25 }] },
      ],
    },
    { name: 'urine-albumin', title: '尿中アルブミン (urine albumin)', codes: CODES.urineAlbumin, months: 6, followUp: 'core-hospital', rules: [{ id: 'urine-albumin-high', severity: 'medium', message: '尿中アルブミン ≥ 300 mg/gCr', when: [{ comparator: 'ge', threshold: 300 }] }] },
    { name: 'eye-exam', title: '眼科受診 (eye exam)', codes: CODES.eyeExam, months: 12, followUp: 'follow-up-clinic' },
    { name: 'foot-exam', title: 'フットケア (foot exam)', codes: CODES.footExam, months: 12, followUp: 'follow-up-clinic' },
    { name: 'bmi', title: 'BMI', codes: CODES.bmi, months: 3, followUp: 'follow-up-clinic', rules: [{ id: 'bmi-obese', severity: 'low', message: 'BMI ≥ 30', when: [{ comparator: 'ge', threshold: 30 }] }] },
    bloodPressure(3),
  ]),
  pathway('stroke', '脳卒中地域連携パス (stroke recovery)', 'Secondary prevention and recovery after stroke: blood pressure, lipids, glucose and function.', [
    bloodPressure(1),
    { name: 'ldl', title: 'LDLコレステロール', codes: CODES.ldl, months: 6, followUp: 'follow-up-clinic', rules: [{ id: 'ldl-high', severity: 'medium', message: 'LDL-C ≥ 120 mg/dL', when: [{ comparator: 'ge', threshold: 120 }] }] },
    { name: 'hba1c', title: 'HbA1c', codes: CODES.hba1c, months: 6, followUp: 'follow-up-clinic', rules: [{ id: 'hba1c-high', severity: 'medium', message: 'HbA1c ≥ 8.0%', when: [{ comparator: 'ge', threshold: 8.0 }] }] },
    { name: 'rankin', title: 'modified Rankin Scale', codes: CODES.rankin, months: 3, followUp: 'core-hospital', rules: [{ id: 'rankin-worse', severity: 'high', message: 'mRS worsened by ≥ 1 from baseline', when: [{ comparator: 'rise', threshold: 1 }] }] },
  ]),
  pathway('hip-fracture', '大腿骨近位部骨折地域連携パス (hip fracture recovery)', 'Recovery of function after hip fracture, and prevention of the next fracture.', [
    { name: 'barthel', title: 'Barthel Index', codes: CODES.barthel, months: 3, followUp: 'follow-up-clinic', rules: [{ id: 'barthel-fall', severity: 'high', message: 'Barthel Index fell ≥ 10 points from baseline', when: [{ comparator: 'fall', threshold: 10 }] }] },
    { name: 'bone-density', title: '骨密度 (femur DXA)', codes: CODES.femurBoneDensity, months: 12, followUp: 'core-hospital' },
    { name: 'vitamin-d', title: '25(OH)ビタミンD', codes: CODES.vitaminD, months: 12, followUp: 'follow-up-clinic', rules: [{ id: 'vitamin-d-low', severity: 'low', message: '25(OH)D < 20 ng/mL', when: [{ comparator: 'lt', threshold: 20 }] }] },
  ]),
];
