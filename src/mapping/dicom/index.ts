export { DicomError, type DicomErrorReason } from './errors';
export { mapImagingStudy } from './imaging-study';
export { dicomBulkData, dicomJsonMetadata, type DicomJson } from './metadata';
export { readDicomInstance, type DicomInstance, type DicomPersonName } from './read-instance';
