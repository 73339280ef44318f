/**
 * The stored DICOM files: content-addressed bytes (`dicom_blob`) and one row per SOP instance (`dicom_instance`).
 *
 * An instance belongs to the facility that sent it: the row is keyed by that facility and the SOP Instance UID,
 * so the same UID sent by another facility is that facility's own instance and never replaces, nor is answered
 * with, the first one's bytes. Within one facility, the same SOP Instance UID in another transfer syntax is the
 * same instance, and the FIRST bytes received are kept. The first copy is normally the modality's own output; a later one in another syntax is usually a
 * router's or a CD import's re-encoding, often lossy, and must not silently replace a lossless original. Keeping
 * the first also makes a re-run of a batch write nothing at all, and leaves no blob without an instance.
 */
import { createHash } from 'node:crypto';
import type { Db } from './db/database';
import { Connection, databaseOf } from './connection';
import { sql } from '../core/sql';
import { readScopeSql, type ReadScope } from './read-scope';

/** How an ImagingStudy carries its Study Instance UID (FHIR's guidance: `urn:dicom:uid` | `urn:oid:<uid>`), as the DICOM mapper writes it. */
const DICOM_UID_SYSTEM = 'urn:dicom:uid';

export interface StoredInstance {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  sha256: string;
  size: number;
}

export interface NewInstance extends Omit<StoredInstance, 'sha256' | 'size'> {
  bytes: Buffer;
  /** "Organization/<id>" of the sending facility. */
  facility: string;
  clientId: string;
}

/** `stored`: these bytes are now the instance; `kept`: the instance was already there and keeps its bytes. */
export type PutOutcome = { outcome: 'stored' | 'kept'; instance: StoredInstance };

/** Call inside the transaction that also writes the ImagingStudy, so bytes and FHIR agree or neither exists. */
export async function putInstance(on: Connection, instance: NewInstance): Promise<PutOutcome> {
  const tx = databaseOf(on);
  const existing = await findInstance(tx, instance.facility, instance.sopInstanceUid);
  if (existing) return { outcome: 'kept', instance: existing };
  const sha256 = createHash('sha256').update(instance.bytes).digest('hex');
  const size = instance.bytes.length;
  await tx.query(sql`INSERT INTO dicom_blob (sha256, size, bytes) VALUES (${sha256}, ${size}, ${instance.bytes}) ON CONFLICT (sha256) DO NOTHING`);
  await tx.query(sql`INSERT INTO dicom_instance
      (sop_instance_uid, study_instance_uid, series_instance_uid, sop_class_uid, transfer_syntax_uid, sha256, size, facility, client_id)
    VALUES (${instance.sopInstanceUid}, ${instance.studyInstanceUid}, ${instance.seriesInstanceUid}, ${instance.sopClassUid},
            ${instance.transferSyntaxUid}, ${sha256}, ${size}, ${instance.facility}, ${instance.clientId})`);
  const { bytes: _bytes, facility: _facility, clientId: _clientId, ...stored } = instance;
  return { outcome: 'stored', instance: { ...stored, sha256, size } };
}

async function findInstance(db: Db, facility: string, sopInstanceUid: string): Promise<StoredInstance | undefined> {
  const [row] = await db.query<InstanceRow>(sql`SELECT ${COLUMNS} FROM dicom_instance i WHERE i.facility = ${facility} AND i.sop_instance_uid = ${sopInstanceUid}`);
  return row && fromRow(row);
}

export interface VisibleInstance {
  instance: StoredInstance;
  /** The ImagingStudy its facility stored with it (JSON text), through which the caller may see it. */
  study: string;
}

export interface InstanceUids {
  studyInstanceUid: string;
  /** Absent: every series of the study. */
  seriesInstanceUid?: string;
  /** Absent: every instance of the series (or study). */
  sopInstanceUid?: string;
}

/**
 * What WADO-RS may serve: instances read only through the ImagingStudy that each instance's own facility stored
 * for that study and that the caller's read scope lets them see; another resource quoting the same Study UID
 * opens nothing.
 */
export class DicomInstances {
  constructor(private readonly db: Db) {}

  /**
   * Which of these studies' instances each named facility sent (no bytes): what QIDO-RS may list of an
   * ImagingStudy the caller may read, namely only what WADO-RS would serve through it.
   */
  async sentBy(studies: { facility: string; studyInstanceUid: string }[]): Promise<(StoredInstance & { facility: string })[]> {
    if (!studies.length) return [];
    const rows = await this.db.query<InstanceRow & { facility: string }>(sql`SELECT ${COLUMNS}, i.facility FROM dicom_instance i
      WHERE (i.facility, i.study_instance_uid) IN (SELECT * FROM unnest(${studies.map((s) => s.facility)}::text[], ${studies.map((s) => s.studyInstanceUid)}::text[]))
      ORDER BY i.series_instance_uid, i.received_at, i.sop_instance_uid`);
    return rows.map((row) => ({ ...fromRow(row), facility: row.facility }));
  }

  /**
   * The instances of a study, of one of its series, or one instance, in series and arrival order, each with the
   * ImagingStudy it is seen through; their bytes are read one at a time (`bytes`), so a large study is never
   * held in memory whole. When several facilities sent one SOP Instance UID, the first arrival the caller may
   * see is served.
   */
  async visible(scope: ReadScope, uids: InstanceUids): Promise<VisibleInstance[]> {
    const rows = await this.db.query<InstanceRow & { study: string }>(sql`SELECT * FROM (
      SELECT DISTINCT ON (i.sop_instance_uid) ${COLUMNS}, s.content AS study, i.received_at, i.facility
      FROM dicom_instance i
      JOIN LATERAL (
        SELECT r.content FROM resource r JOIN sp_token t ON t.rid = r.rid
        WHERE r.resource_type = 'ImagingStudy' AND NOT r.deleted AND r.source = i.facility
          AND t.resource_type = 'ImagingStudy' AND t.code = 'identifier' AND t.system = ${DICOM_UID_SYSTEM} AND t.value = 'urn:oid:' || i.study_instance_uid
          AND ${readScopeSql(scope, 'r')}
        LIMIT 1
      ) s ON TRUE
      WHERE i.study_instance_uid = ${uids.studyInstanceUid}
        AND (${uids.seriesInstanceUid ?? null}::text IS NULL OR i.series_instance_uid = ${uids.seriesInstanceUid ?? null})
        AND (${uids.sopInstanceUid ?? null}::text IS NULL OR i.sop_instance_uid = ${uids.sopInstanceUid ?? null})
      ORDER BY i.sop_instance_uid, i.received_at, i.facility
    ) first_arrivals ORDER BY series_instance_uid, received_at, sop_instance_uid`);
    return rows.map((row) => ({ instance: fromRow(row), study: row.study }));
  }

  /** The stored file of an instance that `visible` answered. */
  async bytes(instance: StoredInstance): Promise<Buffer> {
    const [row] = await this.db.query<{ bytes: Uint8Array }>(sql`SELECT bytes FROM dicom_blob WHERE sha256 = ${instance.sha256}`.prepared());
    if (!row) throw new Error(`The bytes of instance ${instance.sopInstanceUid} (${instance.sha256}) are missing`);
    return Buffer.from(row.bytes);
  }
}

interface InstanceRow {
  study_instance_uid: string;
  series_instance_uid: string;
  sop_instance_uid: string;
  sop_class_uid: string;
  transfer_syntax_uid: string;
  sha256: string;
  size: string | number;
}

const COLUMNS = sql`i.study_instance_uid, i.series_instance_uid, i.sop_instance_uid, i.sop_class_uid, i.transfer_syntax_uid, i.sha256, i.size`;

function fromRow(row: InstanceRow): StoredInstance {
  return {
    studyInstanceUid: row.study_instance_uid,
    seriesInstanceUid: row.series_instance_uid,
    sopInstanceUid: row.sop_instance_uid,
    sopClassUid: row.sop_class_uid,
    transferSyntaxUid: row.transfer_syntax_uid,
    sha256: row.sha256,
    size: Number(row.size),
  };
}
