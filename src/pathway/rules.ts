/**
 * The rule language of a care pathway (地域連携パス) and its engine. A rule is data on an ActivityDefinition:
 *
 * - `ActivityDefinition.code.coding`: every code (JLAC10 first, else LOINC or SNOMED CT) whose Observation counts
 *   as this activity's result.
 * - `ActivityDefinition.timingTiming.repeat` {frequency 1, period N, periodUnit 'mo' | 'a'}: due every N months.
 * - `ActivityDefinition.participant[].role` coding in PATHWAY_ROLE_SYSTEM: who follows up (`follow-up-clinic` or
 *   `core-hospital`), which decides the CarePlan activity's performer.
 * - zero or more extensions ALERT_RULE_EXTENSION, each one rule (one Flag when any of its conditions holds):
 *     id         valueId       the rule's name, recorded on the Flag
 *     severity   valueCode     high | medium | low
 *     message    valueString   what the care team reads
 *     when       (repeating)   a condition, itself with sub-extensions:
 *       measure     valueCoding    optional: a component of the result (8480-6 in a BP panel); else the value itself
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

/** The numbers an Observation carries: its valueQuantity, and each component's. */
export function resultValues(observation: Observation): ResultValues {
  const values: ResultValues = {};
  if (typeof observation.valueQuantity?.value === 'number') values[''] = observation.valueQuantity.value;
  else if (typeof observation.valueInteger === 'number') values[''] = observation.valueInteger;
  for (const component of observation.component ?? []) {
    const value = component.valueQuantity?.value ?? component.valueInteger;
    if (typeof value !== 'number') continue;
    for (const coding of component.code.coding ?? []) values[token(coding)] = value;
  }
  return values;
}

/** The one number a baseline is kept for: the value itself, else the first measure a rule names. */
export function primaryValue(activity: Pick<ActivityRules, 'rules'>, values: ResultValues): number | undefined {
  if (values[''] !== undefined) return values[''];
  const measure = activity.rules.flatMap((r) => r.when).find((c) => c.measure && values[c.measure] !== undefined)?.measure;
  return measure ? values[measure] : undefined;
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

/** "9.1 %" or "150/95 mm[Hg]": the value, or the components the rules read, in rule order. */
export function describeValues(activity: Pick<ActivityRules, 'rules'>, values: ResultValues, unit?: string): string {
  const suffix = unit ? ` ${unit}` : '';
  if (values[''] !== undefined) return `${values['']}${suffix}`;
  const measures = [...new Set(activity.rules.flatMap((r) => r.when.map((c) => c.measure)).filter((m): m is string => !!m && values[m] !== undefined))];
  return measures.map((m) => values[m]).join('/') + suffix;
}
