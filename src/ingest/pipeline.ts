/**
 * The HL7 v2 ingest pipeline, the same for MLLP, HTTP and SS-MIX2 files:
 *   authenticate → decode and map (pure, in memory) → one transaction: inbox row + resources + Provenance → ACK.
 * The ACK is sent only after that transaction commits, so an acknowledged message is durable with all it
 * produced; a rejected message is stored (status rejected, with its reasons) before the AE/AR goes out.
 *
 * Enhanced acknowledgment mode (HL7 v2.5 §2.9.3; issue 11): a message whose MSH-15 names an accept
 * acknowledgment type (table 0155) is authenticated, kept in the inbox as accepted and answered with a commit
 * ACK — CA, or CR when refused — as MSH-15 asks, before it is mapped. The inbox's worker (worker.ts) then maps
 * and stores it through processNext, in order per patient, and marks it processed or rejected with the
 * application ACK code it earned; that result is kept in the inbox, never pushed to the sender (README).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, Provenance } from '@medplum/fhirtypes';
import { ingestEntry } from '../audit/ingest';
import type { AuditTrail } from '../audit/types';
import type { RequestContext } from '../core/context';
import type { TokenService } from '../auth/tokens';
import { databaseRefusesWrites, databaseUnavailable } from '../store/db/faults';
import type { AcceptedArrival, InboxMessages, Producer } from '../store/inbox';
import type { InboxQueue, LaterArrival, QueuedMessage, QueueOutcome } from '../store/inbox-queue';
import type { AuditEntry } from '../audit/types';
import { processBundle } from '../fhir/bundle';
import { FhirError } from '../core/errors';
import type { FhirRouter } from '../fhir/router';
import { decodeHl7, mapHl7v2 } from '../mapping/hl7v2';
import type { MappingIssue, SendingFacility } from '../mapping/types';
import type { Logger } from '../core/logger';
import type { Connection } from '../store/connection';
import { AckCode, buildAck, readHeader } from './ack';
import { withoutCredentials } from './credentials';
import type { FacilityDirectory } from './facility';
import { keepTonetAdditions } from './merge';
import { INTERACTIONS, mayStart } from '../consent/interactions';

export interface IngestOptions {
  transport: 'mllp' | 'http' | 'replay';
  /** The caller when the transport authenticated it (HTTP bearer); MLLP carries the token in MSH-8 instead. */
  ctx?: RequestContext;
  fileName?: string;
  /** SS-MIX2 condition flag 0: the file says its data was deleted. */
  deleted?: boolean;
}

export interface IngestResult {
  /** The ACK to send; undefined when the sender's MSH-15 asked for none in this case. */
  ack: string | undefined;
  code: AckCode;
  inboxId?: string;
  issues: MappingIssue[];
}


/** A message that passed every check and mapped: what remains is to store it. */
interface Prepared {
  /** As received, and decoded: a refusal after a failed store keeps and reads them as any refusal does. */
  raw: Buffer;
  text: string;
  header: NonNullable<ReturnType<typeof readHeader>>;
  issues: MappingIssue[];
  facility: SendingFacility;
  ctx: RequestContext;
  arrival: AcceptedArrival;
  produce: Producer<AuditEntry>;
}

/** A message in enhanced mode that passed every check: what remains is to keep it for the worker. */
interface ForLater {
  header: NonNullable<ReturnType<typeof readHeader>>;
  later: LaterArrival;
}

/** What the inbox keeps of the sender for the worker's write: the token's claims (never the token), and its SS-MIX2 condition flag. */
interface KeptSender {
  ctx: RequestContext;
  facility: SendingFacility;
  deleted?: boolean;
}

/** HL7 table 0155: the accept acknowledgment types that put a message in enhanced mode. */
const ACCEPT_ACK_TYPES = new Set(['AL', 'NE', 'ER', 'SU']);

/** A refusal in enhanced mode is a commit one: the message was not committed to the inbox as accepted. */
const COMMIT_CODE: Partial<Record<AckCode, AckCode>> = { AA: 'CA', AE: 'CE', AR: 'CR' };
const COMMIT_CODES = new Set<AckCode>(['CA', 'CE', 'CR']);

export class Hl7Ingest {
  constructor(
    private readonly inbox: InboxMessages,
    private readonly queue: InboxQueue,
    private readonly router: FhirRouter,
    private readonly tokens: TokenService,
    private readonly facilities: FacilityDirectory,
    private readonly audit: AuditTrail,
    private readonly logger: Logger,
    /** Told of every ACK sent (the ingest counters in /metrics). */
    private readonly acknowledged: (transport: IngestOptions['transport'], code: AckCode) => void = () => undefined
  ) {}

  async receive(raw: Buffer, options: IngestOptions): Promise<IngestResult> {
    const [result] = await this.receiveAll([raw], options);
    return result;
  }

  /**
   * Several messages of one sender, in order, their accepted ones stored in one transaction (one commit
   * for all), each result only after that commit. Should one fail to store, the batch is rolled back and
   * each is stored alone, so a message's answer never depends on its neighbours. Refusals are kept as
   * they are found, each in a statement of its own.
   */
  async receiveAll(raws: Buffer[], options: IngestOptions): Promise<IngestResult[]> {
    const results: (IngestResult | Prepared | ForLater)[] = [];
    for (const raw of raws) results.push(await this.prepare(raw, options));
    const prepared = results.filter((r): r is Prepared => 'produce' in r);
    const stored = prepared.length > 1 ? await this.storeTogether(prepared) : undefined;
    const forLater = results.filter((r): r is ForLater => 'later' in r);
    const kept = forLater.length ? await this.keepForLater(forLater) : undefined;
    const answers: IngestResult[] = [];
    for (const result of results) {
      const answer = 'produce' in result ? (stored?.get(result) ?? (await this.store(result, options))) : 'later' in result ? (kept?.get(result) as IngestResult) : result;
      this.acknowledged(options.transport, answer.code);
      answers.push(answer);
    }
    return answers;
  }

  /** Enhanced mode: the messages kept as accepted in one transaction, each answered CA as its MSH-15 asks. */
  private async keepForLater(batch: ForLater[]): Promise<Map<ForLater, IngestResult>> {
    const kept = await this.queue.keepAllForLater(batch.map((b) => b.later));
    const answers = new Map<ForLater, IngestResult>();
    for (const [index, { inboxId, duplicate }] of kept.entries()) {
      const { header } = batch[index];
      const note = duplicate ? 'Duplicate of an accepted message; nothing kept again' : undefined;
      answers.set(batch[index], { code: 'CA', inboxId, issues: [], ack: acceptAckWanted(header, 'CA') ? buildAck(header, 'CA', [], randomUUID(), new Date(), note) : undefined });
    }
    return answers;
  }

  /**
   * Maps and stores the next accepted message that may run now (enhanced mode), in the transaction that marks
   * it processed, or marks it rejected with its reasons; false when none may run now. The mapping's
   * AuditEvent is appended after the commit, as for a message in original mode.
   */
  async processNext(): Promise<boolean> {
    const taken = await this.queue.takeNext<AuditEntry>((message, tx) => this.process(message, tx), (err, message) => this.failedReasons(err, message));
    if (!taken) return false;
    if (taken.outcome.status === 'processed') await this.audit.append(taken.outcome.result);
    this.logger.debug({ inboxId: taken.message.id, status: taken.outcome.status }, 'accepted message processed');
    return true;
  }

  private async process(message: QueuedMessage, tx: Connection): Promise<QueueOutcome<AuditEntry>> {
    // The request that sent it: its mapping is recorded as that request's, as in original mode.
    const { ctx, facility, deleted } = message.sender as KeptSender;
    const text = decodeHl7(message.raw);
    const rejected = (ackCode: AckCode, issues: MappingIssue[]): QueueOutcome<AuditEntry> => ({ status: 'rejected', ackCode, reasonsJson: JSON.stringify(issues).replace(/\\u0000/g, '\ufffd') });
    const mapping = this.map(text, facility);
    if ('refusal' in mapping) return rejected(mapping.refusal.code, mapping.refusal.issues);
    const options: IngestOptions = { transport: message.transport as IngestOptions['transport'], fileName: message.fileName };
    const produce = this.producer(ctx, facility, mapping.mapped, deleted ? asDeletion(mapping.mapped.bundle) : mapping.mapped.bundle, options);
    const produced = await produce(tx, message.id);
    return { status: 'processed', written: produced.written, dataType: mapping.mapped.dataType, warnings: mapping.mapped.issues, result: produced.result };
  }

  /** Why a taken message failed to store, as the reasons it is rejected with; undefined when the database was lost. */
  private failedReasons(err: unknown, message: QueuedMessage): { ackCode: string; reasonsJson: string } | undefined {
    if (databaseUnavailable(err)) return undefined;
    if (!(err instanceof FhirError)) this.logger.error({ err, inboxId: message.id }, 'ingest of an accepted message failed');
    const reason = err instanceof FhirError ? err.message : 'Internal error while storing the message';
    return { ackCode: 'AE', reasonsJson: JSON.stringify([{ severity: 'error', code: '207', message: reason }]) };
  }

  /** The batch in one transaction, or undefined when any of it failed (then each is stored alone). */
  private async storeTogether(batch: Prepared[]): Promise<Map<Prepared, IngestResult> | undefined> {
    let kept;
    try {
      kept = await this.inbox.keepAllAccepted(batch.map(({ arrival, produce }) => ({ arrival, produce })));
    } catch (err) {
      if (databaseUnavailable(err)) throw err;
      // One message's error, or a deadlock with another connection's batch that locked the same records in
      // another order (PostgreSQL ends one of the two): stored one by one, each locks only its own.
      this.logger.info({ err: (err as Error).message, messages: batch.length }, 'a batch of messages failed to store together; storing each alone');
      return undefined;
    }
    const answers = new Map<Prepared, IngestResult>();
    for (const [index, acceptance] of kept.entries()) {
      if (!acceptance.duplicate) await this.audit.append(acceptance.result);
      answers.set(batch[index], accepted(batch[index], acceptance.inboxId, acceptance.duplicate));
    }
    return answers;
  }

  private async store(message: Prepared, options: IngestOptions): Promise<IngestResult> {
    const { header, issues, facility, ctx, arrival } = message;
    try {
      const stored = await this.inbox.keepAccepted(arrival, message.produce);
      // Recorded before the ACK, as a REST write is before its answer, and group-committed like one, so that
      // concurrent messages do not queue for the audit head inside their transactions.
      if (!stored.duplicate) await this.audit.append(stored.result);
      return accepted(message, stored.inboxId, stored.duplicate);
    } catch (err) {
      // Not stored, and not refused either: unacknowledged, the sender resends it once the database is back.
      if (databaseUnavailable(err)) throw err;
      if (!(err instanceof FhirError)) this.logger.error({ err, controlId: header.controlId }, 'ingest failed');
      const reason = err instanceof FhirError ? err.message : 'Internal error while storing the message';
      return this.reject(message.raw, message.text, arrival.contentHash, 'AE', [...issues, { severity: 'error', code: '207', message: reason }], options, facility.organizationReference, ctx);
    }
  }

  /**
   * The answers to messages that failed because the database refuses writes (read-only, out of disk), or
   * undefined for any other failure. Each is answered AR saying why: kept nowhere and not accepted, so its
   * sender holds it and sends it again. A sender waiting on a lost connection is left unanswered instead.
   */
  notKept(raws: Buffer[], transport: IngestOptions['transport'], err: unknown): IngestResult[] | undefined {
    const reason = databaseRefusesWrites(err);
    if (!reason) return undefined;
    return raws.map((raw) => {
      const issues: MappingIssue[] = [{ severity: 'error', code: '207', message: `The message was not kept: ${reason}; send it again later` }];
      const header = readHeader(decodeHl7(raw).replace(NUL, '\ufffd'));
      const code: AckCode = header && enhancedMode(header, transport) ? 'CR' : 'AR';
      this.acknowledged(transport, code);
      return { code, issues, ack: !header || !COMMIT_CODES.has(code) || acceptAckWanted(header, code) ? buildAck(header, code, issues, randomUUID(), new Date()) : undefined };
    });
  }

  /** Checks, authenticates and maps one message: a refusal (already kept) or what to store. */
  private async prepare(raw: Buffer, options: IngestOptions): Promise<IngestResult | Prepared | ForLater> {
    const text = decodeHl7(raw);
    const header = readHeader(text);
    const hash = contentHash(text);
    const enhanced = !!header && enhancedMode(header, options.transport);
    const reject = (code: AckCode, issues: MappingIssue[], facility?: string, ctx?: RequestContext) =>
      this.reject(raw, text, hash, enhanced ? (COMMIT_CODE[code] ?? code) : code, issues, options, facility, ctx);

    if (!header) return reject('AR', [headerIssue(text)]);
    const nul = text.indexOf('\u0000');
    if (nul >= 0) return reject('AR', [{ severity: 'error', code: '102', ...segmentAt(text, nul), message: `NUL byte at character ${nul}: HL7 v2 text may not contain one` }]);
    const ctx = options.ctx ?? (await this.authenticateFromHeader(header.security));
    if (!ctx) return reject('AR', [{ severity: 'error', code: '207', segment: 'MSH', segmentSequence: 1, field: 8, message: 'MSH-8 must carry a valid access token from /oauth2/token' }]);
    if (!mayStart(ctx, 'send-hl7') || !ctx.organization) {
      return reject('AR', [{ severity: 'error', code: '207', segment: 'MSH', segmentSequence: 1, field: 8, message: INTERACTIONS['send-hl7'].refusal(ctx) }], ctx.organization, ctx);
    }
    const facility = await this.facilities.resolve(ctx.organization);
    if (!facility) {
      return reject('AR', [{ severity: 'error', code: '207', segment: 'MSH', segmentSequence: 1, field: 4, message: `${ctx.organization} has no 10-digit medical institution code identifier` }], ctx.organization, ctx);
    }
    const claimed = header.sendingFacility.split(header.encodingCharacters[0] ?? '^')[0];
    if (/^\d{10}$/.test(claimed) && claimed !== facility.code) {
      return reject('AR', [{ severity: 'error', code: '207', segment: 'MSH', segmentSequence: 1, field: 4, message: `MSH-4 names facility ${claimed}, but this client sends for ${facility.code}` }], facility.organizationReference, ctx);
    }
    if (enhanced) {
      const sender: KeptSender = { ctx, facility, deleted: options.deleted };
      const later: LaterArrival = {
        transport: options.transport,
        clientId: ctx.clientId,
        facility: facility.organizationReference,
        messageControlId: header.controlId,
        messageType: header.messageType,
        fileName: options.fileName,
        contentHash: hash,
        raw: withoutCredentials(raw),
        sender,
        patientKey: `${facility.code}|${facilityPatientId(text, header)}`,
      };
      return { header, later };
    }

    const mapping = this.map(text, facility);
    if ('refusal' in mapping) return reject(mapping.refusal.code, mapping.refusal.issues, facility.organizationReference, ctx);
    const { mapped } = mapping;
    const bundle = options.deleted ? asDeletion(mapped.bundle) : mapped.bundle;
    const arrival: AcceptedArrival = {
      transport: options.transport,
      clientId: ctx.clientId,
      facility: facility.organizationReference,
      messageControlId: mapped.messageControlId,
      messageType: mapped.messageType,
      dataType: mapped.dataType,
      fileName: options.fileName,
      contentHash: hash,
      raw: withoutCredentials(raw),
      warnings: mapped.issues,
    };
    return { raw, text, header, issues: mapped.issues, facility, ctx, arrival, produce: this.producer(ctx, facility, mapped, bundle, options) };
  }

  /** Maps a message (pure): what it maps to, or the refusal with its ACK code when it cannot be stored. */
  private map(text: string, facility: SendingFacility): { mapped: ReturnType<typeof mapHl7v2> } | { refusal: { code: AckCode; issues: MappingIssue[] } } {
    let mapped: ReturnType<typeof mapHl7v2>;
    try {
      mapped = mapHl7v2(text, facility);
    } catch (err) {
      // A mapper bug must not lose the message or leave the sender without an answer.
      this.logger.error({ err, controlId: readHeader(text)?.controlId }, 'mapping failed');
      return { refusal: { code: 'AR', issues: [{ severity: 'error', code: '207', message: 'The message could not be mapped; it is kept for review' }] } };
    }
    const errors = mapped.issues.filter((i) => i.severity === 'error');
    if (!errors.length) return { mapped };
    const unsupported = errors.some((e) => e.code === '200' || e.code === '201' || e.code === '100');
    return { refusal: { code: unsupported ? 'AR' : 'AE', issues: mapped.issues } };
  }

  /** Writes a mapped message's resources and its Provenance on the inbox row's transaction. */
  private producer(ctx: RequestContext, facility: SendingFacility, mapped: ReturnType<typeof mapHl7v2>, bundle: Bundle, options: IngestOptions): Producer<AuditEntry> {
    return async (tx, inboxId) => {
      const repo = this.router.repo.withConnection(tx).ofMappedData();
      const txRouter = this.router.withRepository(repo);
      const response = await processBundle(txRouter, ctx, withProvenance(await keepTonetAdditions(repo, ctx, bundle), facility, inboxId, mapped.messageType));
      const written = (response.entry ?? []).map((e) => e.response?.location?.replace(/\/_history\/.*$/, '').replace(/^.*\/fhir\//, '')).filter((l): l is string => !!l);
      return { written, result: ingestEntry(ctx, response, `HL7 v2 ${mapped.messageType} ${mapped.messageControlId} over ${options.transport} (inbox ${inboxId})`) };
    };
  }

  private async authenticateFromHeader(security: string): Promise<RequestContext | undefined> {
    if (!security) return undefined;
    try {
      const claims = await this.tokens.verifyStanding(security);
      return { ...claims, clientName: claims.name, purposeOfUse: 'TREAT', requestId: randomUUID() };
    } catch {
      return undefined;
    }
  }

  /**
   * Keeps a message refused before it reached the pipeline (by its transport: a bad header beside the body),
   * so that every refused input can be reviewed in the dead-letter inbox.
   */
  async refuse(raw: Buffer, issues: MappingIssue[], options: IngestOptions): Promise<IngestResult> {
    const text = decodeHl7(raw);
    const result = await this.reject(raw, text, contentHash(text), 'AR', issues, options, options.ctx?.organization, options.ctx);
    this.acknowledged(options.transport, result.code);
    return result;
  }

  /**
   * Stores a refusal before its AE/AR goes out. Text columns cannot hold NUL, so the header fields and
   * reasons are cleaned of it; the bytes themselves are kept in `raw` as sent, less the security fields.
   */
  private async reject(raw: Buffer, text: string, hash: string, code: AckCode, issues: MappingIssue[], options: IngestOptions, facility?: string, ctx?: RequestContext): Promise<IngestResult> {
    const header = readHeader(text.replace(NUL, '\ufffd'));
    const reasons = JSON.stringify(issues).replace(/\\u0000/g, '\ufffd');
    const inboxId = await this.inbox.keepRejected({
      transport: options.transport,
      clientId: ctx?.clientId,
      facility,
      messageControlId: header?.controlId,
      messageType: header?.messageType,
      fileName: options.fileName?.replace(NUL, '\ufffd'),
      contentHash: hash,
      raw: withoutCredentials(raw),
      ackCode: code,
      reasonsJson: reasons,
    });
    // Only commit ACKs follow MSH-15; a refusal before the header was read (by the transport) is always answered.
    const wanted = !header || !COMMIT_CODES.has(code) || acceptAckWanted(header, code);
    return { code, inboxId, issues, ack: wanted ? buildAck(header, code, issues, randomUUID(), new Date()) : undefined };
  }
}

/** Enhanced mode is the sender's choice in MSH-15; a replay from the inbox is the office's, answered after mapping. */
function enhancedMode(header: NonNullable<ReturnType<typeof readHeader>>, transport: IngestOptions['transport']): boolean {
  return transport !== 'replay' && ACCEPT_ACK_TYPES.has(header.acceptAckType);
}

/** Table 0155: AL always, NE never, ER only when the message is refused, SU only when it is accepted. */
function acceptAckWanted(header: NonNullable<ReturnType<typeof readHeader>>, code: AckCode): boolean {
  switch (header.acceptAckType) {
    case 'NE':
      return false;
    case 'ER':
      return code !== 'CA';
    case 'SU':
      return code === 'CA';
    default:
      return true;
  }
}

/**
 * The patient's number at the sending facility (PID-3's first ID, 患者ID), which orders the messages of one
 * patient in enhanced mode; empty for a message without PID, whose messages then keep the facility's order.
 */
function facilityPatientId(text: string, header: NonNullable<ReturnType<typeof readHeader>>): string {
  const pid = text.split(/\r\n|\r|\n/).find((segment) => segment.startsWith(`PID${header.fieldSeparator}`));
  if (!pid) return '';
  const [component = '^', repetition = '~'] = header.encodingCharacters;
  return (pid.split(header.fieldSeparator)[3] ?? '').split(repetition)[0].split(component)[0];
}

const NUL = /\u0000/g;

function accepted(message: Prepared, inboxId: string, duplicate: boolean): IngestResult {
  const note = duplicate ? 'Duplicate of an accepted message; nothing stored again' : undefined;
  return { code: 'AA', inboxId, issues: message.issues, ack: buildAck(message.header, 'AA', message.issues, randomUUID(), new Date(), note) };
}

/** Why a message has no readable MSH: none at all, or one cut short before its encoding characters (MSH-2). */
function headerIssue(text: string): MappingIssue {
  if (!text.startsWith('MSH')) return { severity: 'error', code: '100', segment: 'MSH', message: 'Not an HL7 v2 message: it does not start with an MSH segment' };
  const field = text.length < 4 || /[\r\n]/.test(text[3]) ? 1 : 2;
  return { severity: 'error', code: '101', segment: 'MSH', segmentSequence: 1, field, message: `MSH is truncated: MSH-1 (field separator) and MSH-2 (the four encoding characters) are required, found "${text.split('\r')[0]}"` };
}

/** The segment (name and 1-based sequence among its name) holding a character position, for ERR-2. */
function segmentAt(text: string, position: number): Pick<MappingIssue, 'segment' | 'segmentSequence'> {
  const lines = text.slice(0, position + 1).split('\r');
  const name = lines[lines.length - 1].slice(0, 3);
  return { segment: name, segmentSequence: lines.filter((l) => l.startsWith(name)).length };
}

/**
 * What identifies a message's content: its text without MSH-8, because the access token there changes
 * with every send, and a sender that lost our ACK resends the same message with a new token.
 */
function contentHash(text: string): string {
  const separator = text[3] ?? '|';
  const lineEnd = text.indexOf('\r');
  const header = (lineEnd < 0 ? text : text.slice(0, lineEnd)).split(separator);
  if (header[0] === 'MSH' && header.length > 7) header[7] = '';
  return createHash('sha256').update(header.join(separator) + (lineEnd < 0 ? '' : text.slice(lineEnd))).digest('hex');
}

/** One Provenance per message: what it produced, who sent it, and the inbox row that keeps the original. */
function withProvenance(bundle: Bundle, facility: SendingFacility, inboxId: string, messageType: string): Bundle {
  const targets = (bundle.entry ?? []).filter((e) => e.request?.method !== 'DELETE' && e.fullUrl).map((e) => ({ reference: e.fullUrl as string }));
  if (!targets.length) return bundle;
  const provenance: Provenance = {
    resourceType: 'Provenance',
    target: targets,
    recorded: new Date().toISOString(),
    activity: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: 'CREATE' }] },
    agent: [{ who: { reference: facility.organizationReference } }],
    entity: [{ role: 'source', what: { identifier: { system: 'urn:tonet:inbox', value: inboxId }, display: `HL7 v2 ${messageType}` } }],
  };
  return { ...bundle, entry: [...(bundle.entry ?? []), { resource: provenance, request: { method: 'POST', url: 'Provenance' } }] };
}

/** Condition flag 0: every resource the message would write is deleted instead; stubs are not created. */
function asDeletion(bundle: Bundle): Bundle {
  const entries: BundleEntry[] = (bundle.entry ?? [])
    .filter((e) => e.request?.method === 'PUT' || e.request?.method === 'DELETE')
    .map((e) => ({ request: { method: 'DELETE', url: e.request?.url as string } }));
  return { ...bundle, entry: entries };
}
