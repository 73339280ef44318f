export { DicomError, type DicomErrorReason } from './errors';
export { mapImagingStudy } from './imaging-study';
export { dicomFrames, type DicomFrames } from './frames';
export { dicomBulkData, dicomJsonMetadata, type DicomJson } from './metadata';
export { readDicomInstance, type DicomInstance, type DicomPersonName } from './read-instance';
