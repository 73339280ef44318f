-- A SOP Instance UID is one facility's instance: the row is keyed by the sending facility and the UID, so a
-- second facility sending the same UID stores its own bytes beside the first one's instead of being told
-- "kept" and then served the first facility's images through its own ImagingStudy (issue 12, item 5).

ALTER TABLE dicom_instance DROP CONSTRAINT dicom_instance_pkey;

ALTER TABLE dicom_instance ADD PRIMARY KEY (facility, sop_instance_uid);

CREATE INDEX dicom_instance_sop ON dicom_instance (sop_instance_uid);
