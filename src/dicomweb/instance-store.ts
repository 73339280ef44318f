/**
 * The stored DICOM files: content-addressed bytes (`dicom_blob`) and one row per SOP instance (`dicom_instance`).
 *
 * The same SOP Instance UID in another transfer syntax is the same instance, and the FIRST bytes received are
 * kept. The first copy is normally the modality's own output; a later one in another syntax is usually a
 * router's or a CD import's re-encoding, often lossy, and must not silently replace a lossless original. Keeping
 * the first also makes a re-run of a batch write nothing at all, and leaves no blob without an instance.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../db/database';
import { sql } from '../db/sql';

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
export async function putInstance(tx: Db, instance: NewInstance): Promise<PutOutcome> {
  const existing = await findInstance(tx, instance.sopInstanceUid);
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

export async function findInstance(db: Db, sopInstanceUid: string): Promise<StoredInstance | undefined> {
  const [row] = await db.query<InstanceRow>(sql`SELECT ${COLUMNS} FROM dicom_instance i WHERE i.sop_instance_uid = ${sopInstanceUid}`);
  return row && fromRow(row);
}

/** The bytes of one instance, only when it sits in the named study and series (the WADO-RS path). */
export async function instanceBytes(db: Db, studyInstanceUid: string, seriesInstanceUid: string, sopInstanceUid: string): Promise<{ instance: StoredInstance; bytes: Buffer } | undefined> {
  const [row] = await db.query<InstanceRow & { bytes: Uint8Array }>(sql`SELECT ${COLUMNS}, b.bytes
    FROM dicom_instance i JOIN dicom_blob b ON b.sha256 = i.sha256
    WHERE i.sop_instance_uid = ${sopInstanceUid} AND i.series_instance_uid = ${seriesInstanceUid} AND i.study_instance_uid = ${studyInstanceUid}`);
  return row && { instance: fromRow(row), bytes: Buffer.from(row.bytes) };
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
