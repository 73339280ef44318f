import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A SOP Instance UID is one facility's instance: the row is keyed by the sending facility and the UID, so a
 * second facility sending the same UID stores its own bytes beside the first one's instead of being told
 * "kept" and then served the first facility's images through its own ImagingStudy (issue 12, item 5).
 */
export class DicomInstanceOwner1765100000000 implements MigrationInterface {
  name = 'DicomInstanceOwner1765100000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE dicom_instance DROP CONSTRAINT dicom_instance_pkey`);
    await db.query(`ALTER TABLE dicom_instance ADD PRIMARY KEY (facility, sop_instance_uid)`);
    await db.query(`CREATE INDEX dicom_instance_sop ON dicom_instance (sop_instance_uid)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX dicom_instance_sop`);
    await db.query(`ALTER TABLE dicom_instance DROP CONSTRAINT dicom_instance_pkey`);
    await db.query(`ALTER TABLE dicom_instance ADD PRIMARY KEY (sop_instance_uid)`);
  }
}
