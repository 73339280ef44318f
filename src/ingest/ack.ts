/**
 * HL7 v2.5 acknowledgements (ACK with MSA and ERR), built in one place. ERR-2 names the segment, its
 * sequence, the field and component; ERR-3 carries the HL7 table 0357 code. The ACK echoes the sender's
 * MSH-18 and is written in ASCII only, which every character set the region uses reads the same way.
 */
import type { MappingIssue } from '../mapping/types';

/** Application acknowledgment codes (original mode, after mapping) and commit ones (enhanced mode, after the inbox write). */
export type AckCode = 'AA' | 'AE' | 'AR' | 'CA' | 'CE' | 'CR';

export interface MessageHeader {
  fieldSeparator: string;
  encodingCharacters: string;
  sendingApplication: string;
  sendingFacility: string;
  receivingApplication: string;
  receivingFacility: string;
  security: string;
  messageType: string;
  controlId: string;
  processingId: string;
  version: string;
  characterSet: string;
  /** MSH-15, accept acknowledgment type (HL7 table 0155: AL, NE, ER, SU); set, it asks for enhanced mode. */
  acceptAckType: string;
  /** MSH-16, application acknowledgment type (table 0155). */
  applicationAckType: string;
}

/** Reads MSH by position without a full parse, so that even a message the mapper cannot read gets an ACK. */
export function readHeader(text: string): MessageHeader | undefined {
  const first = text.split(/\r\n|\r|\n/)[0] ?? '';
  if (!first.startsWith('MSH') || first.length < 8) return undefined;
  const separator = first[3];
  const fields = first.split(separator);
  // fields[0] = "MSH", fields[1] = encoding characters (MSH-2), so MSH-n is fields[n - 1].
  const msh = (n: number) => fields[n - 1] ?? '';
  return {
    fieldSeparator: separator,
    encodingCharacters: msh(2),
    sendingApplication: msh(3),
    sendingFacility: msh(4),
    receivingApplication: msh(5),
    receivingFacility: msh(6),
    security: msh(8),
    messageType: msh(9),
    controlId: msh(10),
    processingId: msh(11) || 'P',
    version: msh(12) || '2.5',
    characterSet: msh(18),
    acceptAckType: msh(15),
    applicationAckType: msh(16),
  };
}

const ACK_TEXT: Record<AckCode, string> = {
  AA: 'Message accepted',
  AE: 'Application error',
  AR: 'Application reject',
  CA: 'Commit accept: kept, to be processed',
  CE: 'Commit error',
  CR: 'Commit reject',
};

export function buildAck(header: MessageHeader | undefined, code: AckCode, issues: MappingIssue[], ackControlId: string, now: Date, note?: string): string {
  const h = header ?? { fieldSeparator: '|', encodingCharacters: '^~\\&', sendingApplication: '', sendingFacility: '', receivingApplication: '', receivingFacility: '', security: '', messageType: '', controlId: '', processingId: 'P', version: '2.5', characterSet: '', acceptAckType: '', applicationAckType: '' };
  const f = h.fieldSeparator;
  const [componentSep = '^', , , subSep = '&'] = h.encodingCharacters;
  const clean = (value: string) => ascii(value).split(f).join(' ').split(componentSep).join(' ').split(subSep).join(' ');
  const event = h.messageType.split(componentSep)[1] ?? '';
  const msh = [
    'MSH', h.encodingCharacters, h.receivingApplication || 'TONET', h.receivingFacility, h.sendingApplication, h.sendingFacility,
    timestamp(now), '', ['ACK', event, 'ACK'].join(componentSep), ackControlId, h.processingId, h.version, '', '', '', '', '', h.characterSet,
  ].join(f);
  const msa = ['MSA', code, h.controlId, clean(note ?? ACK_TEXT[code])].join(f);
  const errors = issues.map((issue) =>
    [
      'ERR',
      '',
      withoutTrailing([issue.segment ?? '', issue.segmentSequence ?? '', issue.field ?? '', '', issue.component ?? ''].join(componentSep), componentSep),
      [issue.code, clean(TABLE_0357[issue.code] ?? ''), 'HL70357'].join(componentSep),
      issue.severity === 'error' ? 'E' : 'W',
      '', '', '',
      clean(issue.message),
    ].join(f)
  );
  return [msh, msa, ...errors].join('\r') + '\r';
}

/** Drops trailing separators: the sender chose the character, so it is no regular expression of ours. */
function withoutTrailing(value: string, separator: string): string {
  if (!separator) return value;
  let end = value.length;
  while (end > 0 && value.slice(end - separator.length, end) === separator) end -= separator.length;
  return value.slice(0, end);
}

const TABLE_0357: Record<string, string> = {
  '0': 'Message accepted',
  '100': 'Segment sequence error',
  '101': 'Required field missing',
  '102': 'Data type error',
  '103': 'Table value not found',
  '200': 'Unsupported message type',
  '201': 'Unsupported event code',
  '204': 'Unknown key identifier',
  '207': 'Application internal error',
};

/** ACKs stay ASCII (see the module comment); anything else is replaced, the full text stays in the inbox. */
function ascii(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?');
}

function timestamp(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').replace(/\..*$/, '');
}
