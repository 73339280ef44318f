export { DicomError, type DicomErrorReason } from './errors';
export { mapImagingStudy } from './imaging-study';
export { readDicomInstance, type DicomInstance, type DicomPersonName } from './read-instance';
