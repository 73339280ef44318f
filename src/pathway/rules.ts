/**
 * The rule language of a care pathway (地域連携パス) and its engine. A rule is data on an ActivityDefinition:
 *
 * - `ActivityDefinition.code.coding`: every code (JLAC10 first, else LOINC or SNOMED CT) whose Observation counts
 *   as this activity's result — matched by what the code means (`tokensAnswering`): a JLAC10 test under any
 *   method digits, a panel's item (8480-6) where the activity names the panel.
 * - `ActivityDefinition.timingTiming.repeat` {frequency 1, period N, periodUnit 'mo' | 'a'}: due every N months.
 * - `ActivityDefinition.participant[].role` coding in PATHWAY_ROLE_SYSTEM: who follows up (`follow-up-clinic` or
 *   `core-hospital`), which decides the CarePlan activity's performer.
 * - zero or more extensions ALERT_RULE_EXTENSION, each one rule (one Flag when any of its conditions holds):
 *     id         valueId       the rule's name, recorded on the Flag
 *     severity   valueCode     high | medium | low
 *     message    valueString   what the care team reads
 *     when       (repeating)   a condition, itself with sub-extensions:
 *       measure     valueCoding    optional: a component of the result (8480-6 in a BP panel), or the value of a
 *                                  result that is that item; else the value itself
 *       comparator  valueCode      lt | le | gt | ge (against threshold), or
 *                                  fall-percent | fall | rise (against the baseline: the patient's last value before
 *                                  enrolment, else the first one on the pathway)
 *       threshold   valueDecimal
 *
 * The engine below is pure: values in, alerts out; the database side is in alerts.ts.
 */
import type { ActivityDefinition, Coding, Extension, Observation } from '@medplum/fhirtypes';
import { jlac10TestPattern, SYSTEM } from '../mapping/hl7v2/codesystems';

export const ALERT_RULE_EXTENSION = 'urn:tonet:extension:pathway-alert-rule';
export const PATHWAY_ROLE_SYSTEM = 'urn:tonet:pathway-role';

export const COMPARATORS = ['lt', 'le', 'gt', 'ge', 'fall-percent', 'fall', 'rise'] as const;
export type Comparator = (typeof COMPARATORS)[number];
export type Severity = 'high' | 'medium' | 'low';
export type FollowUp = 'follow-up-clinic' | 'core-hospital';

export interface Condition {
  /** "system|code" of a component, or undefined for the result's own value. */
  measure?: string;
  comparator: Comparator;
  threshold: number;
}

export interface AlertRule {
  id: string;
  severity: Severity;
  message: string;
  when: Condition[];
}

/** One activity of a pathway as the engine needs it. */
export interface ActivityRules {
  /** "system|code" tokens that count as a result. */
  codes: string[];
  intervalMonths: number;
  followUp: FollowUp;
  rules: AlertRule[];
}

/** What a result says, by measure: '' for the value itself, "system|code" for each component. */
export type ResultValues = Record<string, number>;

export interface RaisedAlert {
  rule: AlertRule;
  /** The values the rule looked at, e.g. "150/95 mm[Hg]" or "9.1 %". */
  valueText: string;
}

/** "system|code" of a test as rules match it: exact, except JLAC10's method digits (codesystems.ts jlac10TestPattern). */
export function token(coding: Coding): string {
  const code = coding.code ?? '';
  const matched = coding.system === SYSTEM.jlac10 ? (jlac10TestPattern(code) ?? code) : code;
  return `${coding.system ?? ''}|${matched}`;
}

const LOINC = 'http://loinc.org';
const BLOOD_PRESSURE_ITEMS = [`${LOINC}|8480-6`, `${LOINC}|8462-4`];

/**
 * Panels whose items a facility may send as Observations of their own: JAHIS vital signs carry one blood pressure
 * as a systolic and a diastolic OBX (mapping/hl7v2/profiles/vitals.ts), where a resident's device sends the panel
 * with components (records/resident.ts). An item answers an activity that names its panel.
 */
const PANEL_MEMBERS: { panel: string; members: string[] }[] = [
  // LOINC 85354-9 Blood pressure panel with all children optional: members 8480-6 (systolic) and 8462-4 (diastolic), among others.
  { panel: `${LOINC}|85354-9`, members: BLOOD_PRESSURE_ITEMS },
  // LOINC 55284-4 Blood pressure systolic and diastolic: members 8480-6 and 8462-4.
  { panel: `${LOINC}|55284-4`, members: BLOOD_PRESSURE_ITEMS },
];

/** The tokens a result so coded answers: its own, and those of the panels it is a member of. */
export function tokensAnswering(coding: Coding): string[] {
  const own = token(coding);
  return [own, ...PANEL_MEMBERS.filter((row) => row.members.includes(own)).map((row) => row.panel)];
}

/** Reads the rule data of one ActivityDefinition; a malformed rule is an error naming it (definitions are checked at load). */
export function activityRules(definition: ActivityDefinition): ActivityRules {
  const name = definition.url ?? definition.id ?? 'ActivityDefinition';
  const codes = (definition.code?.coding ?? []).filter((c) => c.system && c.code).map(token);
  if (!codes.length) throw new Error(`${name}: code.coding names no test`);
  const repeat = definition.timingTiming?.repeat;
  const months = repeat?.periodUnit === 'mo' ? repeat.period : repeat?.periodUnit === 'a' && repeat.period !== undefined ? repeat.period * 12 : undefined;
  if (!months || months <= 0 || !Number.isInteger(months)) throw new Error(`${name}: timingTiming.repeat must give a whole number of months or years`);
  const role = definition.participant?.flatMap((p) => p.role?.coding ?? []).find((c) => c.system === PATHWAY_ROLE_SYSTEM)?.code;
  const followUp: FollowUp = role === 'core-hospital' ? 'core-hospital' : 'follow-up-clinic';
  const rules = (definition.extension ?? []).filter((e) => e.url === ALERT_RULE_EXTENSION).map((e) => readRule(name, e));
  return { codes, intervalMonths: months, followUp, rules };
}

function readRule(name: string, extension: Extension): AlertRule {
  const parts = extension.extension ?? [];
  const one = (url: string) => parts.find((p) => p.url === url);
  const id = one('id')?.valueId;
  const severity = one('severity')?.valueCode as Severity | undefined;
  const message = one('message')?.valueString;
  if (!id || !message || !severity || !['high', 'medium', 'low'].includes(severity)) throw new Error(`${name}: an alert rule needs id, severity (high|medium|low) and message`);
  const when = parts
    .filter((p) => p.url === 'when')
    .map((w): Condition => {
      const sub = (url: string) => w.extension?.find((p) => p.url === url);
      const comparator = sub('comparator')?.valueCode as Comparator | undefined;
      const threshold = sub('threshold')?.valueDecimal;
      const measure = sub('measure')?.valueCoding;
      if (!comparator || !COMPARATORS.includes(comparator) || typeof threshold !== 'number') throw new Error(`${name}: rule ${id} has a condition without comparator (${COMPARATORS.join('|')}) and threshold`);
      return { comparator, threshold, measure: measure ? token(measure) : undefined };
    });
  if (!when.length) throw new Error(`${name}: rule ${id} has no condition`);
  return { id, severity, message, when };
}

/**
 * The numbers an Observation carries: its value, also under its own codes (so a rule's measure 8480-6 reads a
 * systolic item as it reads a panel's systolic component), and each component's.
 */
export function resultValues(observation: Observation): ResultValues {
  const values: ResultValues = {};
  const own = observation.valueQuantity?.value ?? observation.valueInteger;
  if (typeof own === 'number') {
    values[''] = own;
    for (const coding of observation.code.coding ?? []) values[token(coding)] = own;
  }
  for (const component of observation.component ?? []) {
    const value = component.valueQuantity?.value ?? component.valueInteger;
    if (typeof value !== 'number') continue;
    for (const coding of component.code.coding ?? []) values[token(coding)] = value;
  }
  return values;
}

/** The measures the rules name, in rule order: the components (or items) an activity's result is read by. */
function measuresOf(activity: Pick<ActivityRules, 'rules'>): string[] {
  return [...new Set(activity.rules.flatMap((r) => r.when.map((c) => c.measure)).filter((m): m is string => !!m))];
}

/**
 * The one number a baseline is kept for: the first measure the rules name (the systolic, also when a diastolic
 * item comes alone), else the value itself.
 */
export function primaryValue(activity: Pick<ActivityRules, 'rules'>, values: ResultValues): number | undefined {
  const [measure] = measuresOf(activity);
  return values[measure ?? ''];
}

/** The rules that fire for one result. `baseline` undefined: baseline comparisons cannot fire (the result becomes it). */
export function evaluate(activity: Pick<ActivityRules, 'rules'>, values: ResultValues, baseline: number | undefined, unit?: string): RaisedAlert[] {
  const raised: RaisedAlert[] = [];
  for (const rule of activity.rules) {
    const holds = rule.when.some((condition) => {
      const value = values[condition.measure ?? ''];
      return value !== undefined && compare(condition, value, baseline);
    });
    if (holds) raised.push({ rule, valueText: describeValues(activity, values, unit) });
  }
  return raised;
}

function compare(condition: Condition, value: number, baseline: number | undefined): boolean {
  const t = condition.threshold;
  switch (condition.comparator) {
    case 'lt':
      return value < t;
    case 'le':
      return value <= t;
    case 'gt':
      return value > t;
    case 'ge':
      return value >= t;
    case 'fall-percent':
      return baseline !== undefined && baseline > 0 && ((baseline - value) / baseline) * 100 >= t;
    case 'fall':
      return baseline !== undefined && baseline - value >= t;
    case 'rise':
      return baseline !== undefined && value - baseline >= t;
  }
}

/** "9.1 %" or "150/95 mm[Hg]": the measures the rules read that the result holds, in rule order, else the value. */
export function describeValues(activity: Pick<ActivityRules, 'rules'>, values: ResultValues, unit?: string): string {
  const suffix = unit ? ` ${unit}` : '';
  const measures = measuresOf(activity).filter((m) => values[m] !== undefined);
  const shown = measures.length ? measures.map((m) => values[m]).join('/') : (values[''] ?? '');
  return `${shown}${suffix}`;
}
