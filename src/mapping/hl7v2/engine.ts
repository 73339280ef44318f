/**
 * The generic mapping engine. A message profile (one per SS-MIX2 data type, in `profiles/`) is data: which segments
 * may appear, which fields are required, and resource rules that say "one <ResourceType> per <anchor segment>, keyed
 * by these fields, with these field → element lines". The engine walks the message, applies the tables and builds the
 * transaction bundle; it knows nothing about any particular segment except PID, whose patient every bundle needs.
 */
import type { Bundle, BundleEntry, Identifier, Reference, Resource, ResourceType } from '@medplum/fhirtypes';
import type { MappingIssue, SendingFacility } from '../types';
import { conditionalUrl, fullUrlFor, identifierQuery, KeyKind, keySystem } from './identity';
import { Locator, ParsedMessage, ParsedSegment, parseLocator, read, readLocator, repetitionCount } from './parse';
import { setPath } from './path';
import { unmappedIssues } from './unmapped';

/** Segments that belong to the whole message, found from any group. */
const MESSAGE_LEVEL_SEGMENTS = new Set(['MSH', 'EVN', 'PID', 'PD1', 'PV1', 'PV2']);

export interface Scope {
  readonly message: ParsedMessage;
  readonly anchor: ParsedSegment;
  readonly facility: SendingFacility;
  /** The segment of that name for this anchor: the nearest one before it in its group, else the first after it. */
  segment(name: string): ParsedSegment | undefined;
  /** Every segment of that name in the anchor's group, in message order. */
  all(name: string): ParsedSegment[];
  /** The value at a locator such as "ORC-4" or "TQ1-6.1", read through `segment`. */
  value(locator: string): string;
}

/** One field position as seen by a converter: `part(n)` is component n, or subcomponent n when the locator names a component. */
export interface FieldView {
  readonly scope: Scope;
  readonly segment: ParsedSegment;
  readonly locator: Locator;
  readonly repetition: number;
  text(): string;
  part(n: number): string;
  repetitions(): FieldView[];
  /** Another position (same or sibling segment) read with the same scope and issue list. */
  at(segment: ParsedSegment, locator: Locator, repetition?: number): FieldView;
  report(code: MappingIssue['code'], message: string, severity?: MappingIssue['severity']): void;
}

/** Turns one field into a FHIR value; returns undefined when there is nothing to write. */
export type Converter = (field: FieldView) => unknown;

export interface FieldRule {
  /** HL7 position, e.g. "RXE-3", "TQ1-6.1", "TQ1-3.1" (a CWE held in subcomponents). */
  from: string;
  /** FHIR path from the resource root: "a.b[0].c"; "x[]" appends; "" merges an object into the root. */
  to: string;
  as: Converter;
  when?: (scope: Scope) => boolean;
}

export interface KeyRule {
  kind: KeyKind;
  /**
   * Alternatives, tried in order: the first whose parts all have values gives the key value (parts joined by ":").
   * A part is a locator, a literal "=text", a locator ending in "?" that may be empty, or a date/time locator ending
   * in "@day" that keys by its day (yyyyMMdd).
   */
  from: readonly (readonly string[])[];
  /** Repeated keys: "merge" the resources (NW and PA orders repeat one order), or "number" them (drugs in one Rp). */
  onDuplicate: 'merge' | 'number';
  /** Also write the occurrence number under this identifier system (JP Core's order within an Rp). */
  numberAs?: string;
  /** Written before the value, e.g. "urn:oid:" for DICOM UIDs. */
  prefix?: string;
}

export interface LinkRule {
  to: string;
  /** The id of the resource rule whose resources are referenced. */
  rule: string;
  /** Reference every resource of that rule anchored under this one (DiagnosticReport.result → OBX Observations). */
  children?: boolean;
  /** Key of the referenced resource read in this scope; defaults to that rule's own key. */
  from?: readonly (readonly string[])[];
}

export interface ResourceRule {
  id: string;
  resourceType: ResourceType;
  profile?: string;
  anchor: string;
  when?: (scope: Scope) => boolean;
  key: KeyRule;
  /** The element that references the patient ("subject", "patient", "beneficiary"); absent for Patient itself. */
  patient?: string;
  fixed?: Record<string, unknown>;
  fields: FieldRule[];
  links?: LinkRule[];
  /** Cancels, deletes: the resource is removed with a conditional DELETE instead of written. */
  deleteWhen?: (scope: Scope) => boolean;
  /**
   * Written only where no resource has its key yet (a conditional create, like the patient stub): for resources other
   * messages own, such as the Encounter an order names in PV1, which the ADT messages keep.
   */
  createOnly?: boolean;
  /**
   * For keys that name a state rather than a thing ("the patient's open inpatient stay"): when `when` holds, the
   * resource found by its key is written under the identifier `from` gives instead (a discharge files the open stay
   * under its discharge time and frees the key for the next admission; cancelling the discharge reopens it).
   */
  rename?: { when: (scope: Scope) => boolean; from: KeyRule['from'] };
}

export interface MessageProfile {
  dataType: string;
  /** Segments that start a repeating group (an order, a specimen); lookups stay inside the anchor's group. */
  groupStarts: string[];
  /** Every segment the message may hold; others are errors (Z-segments: warnings). */
  segments: string[];
  /** Fields whose absence rejects the message (NHO required fields that the mapping depends on). */
  required: string[];
  /** NHO required fields that the mapping can do without: reported as warnings. */
  expected?: string[];
  /** Fields declared NM by JAHIS; anything but a number is a data type error. */
  numeric?: string[];
  /** "write": the table holds the Patient rule (ADT-00). "stub": a conditional create from PID keeps references valid. */
  patient: 'write' | 'stub';
  resources: ResourceRule[];
}

interface Instance {
  rule: ResourceRule;
  scope: Scope;
  identifier: Identifier;
  occurrence: number;
  fullUrl: string;
  delete: boolean;
  resource?: Resource;
}

interface EngineResult {
  bundle: Bundle;
  issues: MappingIssue[];
}

export function runProfile(profile: MessageProfile, message: ParsedMessage, facility: SendingFacility, patientRules: { stub: ResourceRule }): EngineResult {
  const issues: MappingIssue[] = [...checkSegments(profile, message), ...checkFields(profile, message)];
  const rules = profile.patient === 'stub' ? [patientRules.stub, ...profile.resources] : profile.resources;
  const instances = collectInstances(rules, profile.groupStarts, message, facility, issues);
  const byKey = new Map<string, Instance>();
  for (const instance of instances) {
    const key = instanceKey(instance.rule.resourceType, instance.identifier);
    const earlier = byKey.get(key);
    const built: Resource | undefined = instance.delete ? undefined : buildResource(instance, issues);
    if (earlier) {
      earlier.resource = earlier.resource && built ? ({ ...earlier.resource, ...built } as Resource) : (earlier.resource ?? built);
      earlier.delete = earlier.delete && instance.delete;
    } else {
      instance.resource = built;
      byKey.set(key, instance);
    }
  }
  for (const instance of byKey.values()) {
    if (instance.resource) {
      applyLinks(instance, instances, byKey, rules);
    }
  }
  if (issues.some((issue) => issue.severity === 'error')) {
    return { bundle: { resourceType: 'Bundle', type: 'transaction', entry: [] }, issues };
  }
  issues.push(...unmappedIssues(message, profile.segments));
  const entry = [...byKey.values()].map((instance) => toEntry(instance, profile.patient === 'stub' && instance.rule === patientRules.stub));
  return { bundle: { resourceType: 'Bundle', type: 'transaction', entry }, issues };
}

function instanceKey(resourceType: string, identifier: Identifier): string {
  return `${resourceType}|${identifier.system}|${identifier.value}`;
}

function collectInstances(rules: ResourceRule[], groupStarts: string[], message: ParsedMessage, facility: SendingFacility, issues: MappingIssue[]): Instance[] {
  const found: Instance[] = [];
  const counters = new Map<string, number>();
  for (const anchorSegment of message.segments) {
    for (const rule of rules.filter((candidate) => candidate.anchor === anchorSegment.name)) {
      const scope = makeScope(message, anchorSegment, facility, groupStarts);
      if (rule.when && !rule.when(scope)) {
        continue;
      }
      const base = keyValue(rule.key, scope);
      if (base === undefined) {
        addOnce(issues, missingKeyIssue(rule, scope));
        continue;
      }
      const counterKey = `${rule.id}|${base}`;
      const occurrence = (counters.get(counterKey) ?? 0) + 1;
      counters.set(counterKey, occurrence);
      const value = rule.key.onDuplicate === 'number' ? `${base}:${occurrence}` : base;
      const identifier = { system: keySystem(rule.key.kind, facility.code), value: (rule.key.prefix ?? '') + value };
      found.push({
        rule,
        scope,
        identifier,
        occurrence,
        fullUrl: fullUrlFor(rule.resourceType, identifier),
        delete: rule.deleteWhen?.(scope) ?? false,
      });
    }
  }
  return found;
}

function makeScope(message: ParsedMessage, anchor: ParsedSegment, facility: SendingFacility, groupStarts: string[]): Scope {
  const segments = message.segments;
  const at = segments.indexOf(anchor);
  let start = at;
  while (start > 0 && !groupStarts.includes(segments[start].name)) {
    start--;
  }
  let end = at + 1;
  while (end < segments.length && !groupStarts.includes(segments[end].name)) {
    end++;
  }
  const group = segments.slice(start, end);
  const anchorInGroup = at - start;
  const scope: Scope = {
    message,
    anchor,
    facility,
    segment(name) {
      for (let i = anchorInGroup; i >= 0; i--) {
        if (group[i].name === name) {
          return group[i];
        }
      }
      const after = group.slice(anchorInGroup + 1).find((segment) => segment.name === name);
      if (after || !MESSAGE_LEVEL_SEGMENTS.has(name)) {
        return after;
      }
      return segments.find((segment) => segment.name === name);
    },
    all(name) {
      return group.filter((segment) => segment.name === name);
    },
    value(locatorText) {
      const locator = parseLocator(locatorText);
      const segment = scope.segment(locator.segment);
      return segment ? readLocator(segment, locator) : '';
    },
  };
  return scope;
}

function keyValue(key: KeyRule, scope: Scope): string | undefined {
  for (const alternative of key.from) {
    const parts = alternative.map((part) => {
      if (part.startsWith('=')) {
        return part.slice(1);
      }
      if (part.endsWith('@day')) {
        return scope.value(part.slice(0, -'@day'.length)).slice(0, 8);
      }
      const optional = part.endsWith('?');
      const value = scope.value(optional ? part.slice(0, -1) : part);
      return value === '' && optional ? null : value;
    });
    if (parts.every((part) => part !== '')) {
      return parts.filter((part): part is string => part !== null).join(':');
    }
  }
  return undefined;
}

/** The required-field check usually reports a missing key field already; one issue per location is enough. */
function addOnce(issues: MappingIssue[], issue: MappingIssue): void {
  const sameLocation = (other: MappingIssue) =>
    other.code === issue.code && other.segment === issue.segment && other.segmentSequence === issue.segmentSequence && other.field === issue.field && other.component === issue.component;
  if (!issues.some(sameLocation)) {
    issues.push(issue);
  }
}

function missingKeyIssue(rule: ResourceRule, scope: Scope): MappingIssue {
  const firstMissing = rule.key.from[0].find((part) => !part.startsWith('=') && !part.endsWith('?') && scope.value(part.replace(/@day$/, '')) === '') ?? rule.key.from[0][0];
  const locator = parseLocator(firstMissing.replace(/@day$/, ''));
  const segment = scope.segment(locator.segment);
  return {
    severity: 'error',
    code: '101',
    segment: locator.segment,
    segmentSequence: segment?.sequence ?? scope.anchor.sequence,
    field: locator.field,
    ...(locator.component ? { component: locator.component } : {}),
    message: `${firstMissing} is required to identify the ${rule.resourceType} mapped from ${scope.anchor.name}[${scope.anchor.sequence}]`,
  };
}

function buildResource(instance: Instance, issues: MappingIssue[]): Resource {
  const { rule, scope } = instance;
  const resource: Record<string, unknown> = {
    resourceType: rule.resourceType,
    ...(rule.profile ? { meta: { profile: [rule.profile] } } : {}),
    identifier: [instance.identifier],
  };
  if (rule.key.numberAs) {
    (resource.identifier as Identifier[]).push({ system: rule.key.numberAs, value: String(instance.occurrence) });
  }
  const renamed = rule.rename?.when(scope) ? keyValue({ ...rule.key, from: rule.rename.from }, scope) : undefined;
  if (renamed !== undefined) {
    (resource.identifier as Identifier[])[0] = { system: instance.identifier.system, value: (rule.key.prefix ?? '') + renamed };
  }
  for (const [path, value] of Object.entries(rule.fixed ?? {})) {
    setPath(resource, path, structuredClone(value));
  }
  if (rule.patient) {
    setPath(resource, rule.patient, { reference: patientFullUrl(scope) });
  }
  for (const field of rule.fields) {
    if (field.when && !field.when(scope)) {
      continue;
    }
    const locator = parseLocator(field.from);
    const segment = scope.segment(locator.segment);
    if (!segment) {
      continue;
    }
    const value = field.as(makeView(scope, segment, locator, 1, issues));
    setPath(resource, field.to, value);
  }
  return resource as unknown as Resource;
}

function makeView(scope: Scope, segment: ParsedSegment, locator: Locator, repetition: number, issues: MappingIssue[]): FieldView {
  const view: FieldView = {
    scope,
    segment,
    locator,
    repetition,
    text: () => read(segment, locator.field, locator.component ?? 1, locator.subcomponent, repetition),
    part: (n) =>
      locator.component === undefined
        ? read(segment, locator.field, n, undefined, repetition)
        : read(segment, locator.field, locator.component, n, repetition),
    repetitions: () =>
      Array.from({ length: repetitionCount(segment, locator.field) }, (_unused, index) => makeView(scope, segment, locator, index + 1, issues)),
    at: (otherSegment, otherLocator, otherRepetition = 1) => makeView(scope, otherSegment, otherLocator, otherRepetition, issues),
    report: (code, message, severity = 'warning') =>
      issues.push({
        severity,
        code,
        segment: segment.name,
        segmentSequence: segment.sequence,
        field: locator.field,
        ...(locator.component ? { component: locator.component } : {}),
        message,
      }),
  };
  return view;
}

/** Every bundle's patient: keyed by PID-3 under the facility's JP Core patient-ID system. */
function patientIdentifier(scope: Scope): Identifier {
  return { system: keySystem('patient', scope.facility.code), value: scope.value('PID-3') };
}

function patientFullUrl(scope: Scope): string {
  return fullUrlFor('Patient', patientIdentifier(scope));
}

function applyLinks(instance: Instance, all: Instance[], byKey: Map<string, Instance>, rules: ResourceRule[]): void {
  for (const link of instance.rule.links ?? []) {
    const target = rules.find((rule) => rule.id === link.rule);
    if (!target) {
      throw new Error(`Link to unknown rule ${link.rule}`);
    }
    // A target that this message would not write here (an inpatient stay for an outpatient order) is not named.
    if (!link.children && target.when && !target.when(instance.scope)) {
      continue;
    }
    const references: Reference[] = link.children
      ? all
          .filter((child) => child.rule === target && !child.delete && child.scope.segment(instance.rule.anchor) === instance.scope.anchor)
          .map((child) => ({ reference: child.fullUrl }))
      : [referenceByKey(target, link.from ?? target.key.from, instance.scope, byKey)].filter((ref): ref is Reference => ref !== undefined);
    const unique = references.filter((ref, index) => references.findIndex((other) => other.reference === ref.reference && other.identifier?.value === ref.identifier?.value) === index);
    for (const reference of unique) {
      setPath(instance.resource as unknown as Record<string, unknown>, link.to, reference);
    }
  }
}

/** In-bundle targets are referenced by fullUrl; others by identifier, which never fails a transaction. */
function referenceByKey(target: ResourceRule, from: KeyRule['from'], scope: Scope, byKey: Map<string, Instance>): Reference | undefined {
  const value = keyValue({ ...target.key, from }, scope);
  if (value === undefined) {
    return undefined;
  }
  const identifier = { system: keySystem(target.key.kind, scope.facility.code), value: (target.key.prefix ?? '') + value };
  const inBundle = byKey.get(instanceKey(target.resourceType, identifier));
  if (inBundle && !inBundle.delete) {
    return { reference: inBundle.fullUrl };
  }
  return { type: target.resourceType, identifier };
}

function toEntry(instance: Instance, isStub: boolean): BundleEntry {
  const type = instance.rule.resourceType;
  if (instance.delete) {
    return { request: { method: 'DELETE', url: conditionalUrl(type, instance.identifier) } };
  }
  if (isStub || instance.rule.createOnly) {
    return { fullUrl: instance.fullUrl, resource: instance.resource, request: { method: 'POST', url: type, ifNoneExist: identifierQuery(instance.identifier) } };
  }
  return { fullUrl: instance.fullUrl, resource: instance.resource, request: { method: 'PUT', url: conditionalUrl(type, instance.identifier) } };
}

function checkSegments(profile: MessageProfile, message: ParsedMessage): MappingIssue[] {
  const issues: MappingIssue[] = [];
  for (const segment of message.segments) {
    if (!profile.segments.includes(segment.name)) {
      const isZ = segment.name.startsWith('Z');
      issues.push({
        severity: isZ ? 'warning' : 'error',
        code: '100',
        segment: segment.name,
        segmentSequence: segment.sequence,
        message: `${segment.name} is not expected in ${profile.dataType}${isZ ? ' and is ignored' : ''}`,
      });
    } else if (MESSAGE_LEVEL_SEGMENTS.has(segment.name) && segment.sequence > 1) {
      issues.push({ severity: 'error', code: '100', segment: segment.name, segmentSequence: segment.sequence, message: `${segment.name} may appear only once` });
    }
  }
  return issues;
}

function checkFields(profile: MessageProfile, message: ParsedMessage): MappingIssue[] {
  const issues: MappingIssue[] = [];
  const check = (locators: string[], severity: MappingIssue['severity']) => {
    for (const text of locators) {
      const locator = parseLocator(text);
      for (const segment of message.segments.filter((candidate) => candidate.name === locator.segment)) {
        if (readLocator(segment, locator) === '') {
          issues.push({ severity, code: '101', segment: segment.name, segmentSequence: segment.sequence, field: locator.field, ...(locator.component ? { component: locator.component } : {}), message: `Required field ${text} is empty` });
        }
      }
    }
  };
  check(profile.required, 'error');
  check(profile.expected ?? [], 'warning');
  for (const text of profile.numeric ?? []) {
    const locator = parseLocator(text);
    for (const segment of message.segments.filter((candidate) => candidate.name === locator.segment)) {
      const value = readLocator(segment, locator);
      if (value !== '' && !/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(value)) {
        issues.push({ severity: 'error', code: '102', segment: segment.name, segmentSequence: segment.sequence, field: locator.field, message: `${text} must be a number, got "${value}"` });
      }
    }
  }
  return issues;
}
