/**
 * Parsing through @medplum/core's Hl7Message, plus 1-based accessors that unescape values.
 * medplum's own accessors mix bases (component 1-based, subcomponent and repetition 0-based) and return raw escapes;
 * everything else in this folder goes through `read` so that rule tables can name positions the way JAHIS does.
 */
import { Hl7Field, Hl7Message, Hl7Segment } from '@medplum/core';
import type { MappingIssue } from '../types';

export interface ParsedSegment {
  name: string;
  segment: Hl7Segment;
  /** Index among all segments of the message. */
  position: number;
  /** 1-based index among segments of the same name (ERR-2.2). */
  sequence: number;
  /** Fields the mapping looked at (every read goes through `fieldOf`), so that those it never did can be reported. */
  consulted: Set<number>;
}

export interface ParsedMessage {
  message: Hl7Message;
  segments: ParsedSegment[];
}

/** A position inside a segment, as in "TQ1-3.1.2": field 3, component 1, subcomponent 2. */
export interface Locator {
  segment: string;
  field: number;
  component?: number;
  subcomponent?: number;
}

const SEGMENT_NAME = /^[A-Z][A-Z0-9]{2}$/;

export function parseHl7(text: string): { parsed?: ParsedMessage; issues: MappingIssue[] } {
  // Blank lines and stray whitespace between segments are common in hand-edited files; they carry no data.
  const lines = text.split('\r').filter((line) => line.trim() !== '');
  if (lines.length === 0 || !lines[0].startsWith('MSH') || lines[0].length < 8) {
    return { issues: [{ severity: 'error', code: '100', segment: 'MSH', segmentSequence: 1, message: 'Not an HL7 v2 message: it does not start with an MSH segment' }] };
  }
  const message = Hl7Message.parse(lines.join('\r'));
  const counts = new Map<string, number>();
  const segments: ParsedSegment[] = [];
  const issues: MappingIssue[] = [];
  message.segments.forEach((segment, position) => {
    const sequence = (counts.get(segment.name) ?? 0) + 1;
    counts.set(segment.name, sequence);
    if (!SEGMENT_NAME.test(segment.name)) {
      issues.push({ severity: 'error', code: '100', segment: segment.name, segmentSequence: sequence, message: `Segment ${position + 1} has no valid segment ID: "${segment.toString().slice(0, 20)}"` });
      return;
    }
    segments.push({ name: segment.name, segment, position, sequence, consulted: new Set() });
  });
  return { parsed: { message, segments }, issues };
}

export function parseLocator(text: string): Locator {
  const match = /^([A-Z][A-Z0-9]{2})-(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(text);
  if (!match) {
    throw new Error(`Bad HL7 locator "${text}"`);
  }
  return {
    segment: match[1],
    field: Number(match[2]),
    component: match[3] ? Number(match[3]) : undefined,
    subcomponent: match[4] ? Number(match[4]) : undefined,
  };
}

export function fieldOf(segment: ParsedSegment, field: number): Hl7Field | undefined {
  segment.consulted.add(field);
  // medplum returns undefined (despite its type) for positions past the last field sent.
  return segment.segment.getField(field) as Hl7Field | undefined;
}

export function repetitionCount(segment: ParsedSegment, field: number): number {
  const value = fieldOf(segment, field);
  return value && value.toString() !== '' ? value.components.length : 0;
}

/**
 * The unescaped value at a position; '' when absent. Without a component, a field's first component is returned
 * (a CWE's code, a CX's ID); `raw` keeps the whole first repetition.
 */
export function read(segment: ParsedSegment, field: number, component = 1, subcomponent?: number, repetition = 1): string {
  const value = fieldOf(segment, field);
  if (!value || repetition > value.components.length) {
    return '';
  }
  const componentText = value.components[repetition - 1][component - 1] ?? '';
  if (subcomponent === undefined) {
    return unescapeHl7(componentText, segment.segment).trim();
  }
  const part = componentText.split(value.context.subcomponentSeparator)[subcomponent - 1] ?? '';
  return unescapeHl7(part, segment.segment).trim();
}

export function readLocator(segment: ParsedSegment, locator: Locator): string {
  return read(segment, locator.field, locator.component ?? 1, locator.subcomponent);
}

/** HL7 escape sequences (v2.5 §2.7): separators, line breaks and hex data. Formatting commands carry no text. */
export function unescapeHl7(text: string, segment: Hl7Segment): string {
  const context = segment.context;
  const escape = context.escapeCharacter;
  if (!text.includes(escape)) {
    return text;
  }
  const pattern = new RegExp(`${escapeRegExp(escape)}([^${escapeRegExp(escape)}]*)${escapeRegExp(escape)}`, 'g');
  return text.replace(pattern, (_whole, sequence: string) => {
    switch (sequence) {
      case 'F':
        return context.fieldSeparator;
      case 'S':
        return context.componentSeparator;
      case 'T':
        return context.subcomponentSeparator;
      case 'R':
        return context.repetitionSeparator;
      case 'E':
        return escape;
      case '.br':
        return '\n';
      default:
        return sequence.startsWith('X') ? Buffer.from(sequence.slice(1), 'hex').toString('latin1') : '';
    }
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
