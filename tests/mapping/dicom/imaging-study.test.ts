import { readFileSync } from 'node:fs';
import type { ImagingStudy } from '@medplum/fhirtypes';
import { DicomError, mapImagingStudy, readDicomInstance, type DicomInstance } from '../../../src/mapping/dicom';
import type { SendingFacility } from '../../../src/mapping/types';
import { fixturePath } from '../../fixtures';
import { validationErrors } from '../fhir-validation';

const FACILITY: SendingFacility = { code: '1318814790', organizationReference: 'Organization/minato-clinic' };
const PATIENT = 'Patient/p1';
const PROFILE = 'http://jpfhir.jp/fhir/core/StructureDefinition/JP_ImagingStudy_Radiology';
const DCM = 'http://dicom.nema.org/resources/ontology/DCM';

const read = (...parts: string[]): DicomInstance => readDicomInstance(readFileSync(fixturePath(...parts)));
const ctInstances = [
  'CT1_UNC.explicit_big_endian.dcm',
  'CT1_UNC.explicit_little_endian.dcm',
  'CT1_UNC.implicit_little_endian.dcm',
  'encapsulated/single-frame/CT1_UNC.not_fragmented_bot_jpeg_ls.80.dcm',
].map((file) => read('dicom-ct', 'testImages', file));
const enhancedCt = read('dicom-ct', 'testImages', 'encapsulated/multi-frame/CT0012.fragmented_no_bot_jpeg_baseline.51.dcm');
const chestCr = read('dicom-japanese-charset', 'chrJapMulti.dcm');

const CT_STUDY: ImagingStudy = {
  resourceType: 'ImagingStudy',
  meta: { profile: [PROFILE] },
  identifier: [{ system: 'urn:dicom:uid', value: 'urn:oid:1.3.6.1.4.1.5962.1.2.1.20040826185059.5457' }],
  status: 'available',
  modality: [{ system: DCM, code: 'CT' }],
  subject: { reference: PATIENT },
  started: '2004-08-26T18:50:59-04:00',
  numberOfSeries: 1,
  numberOfInstances: 1,
  description: 'e+1',
  series: [
    {
      uid: '1.3.6.1.4.1.5962.1.3.1.1.20040826185059.5457',
      modality: { system: DCM, code: 'CT' },
      number: 1,
      numberOfInstances: 1,
      instance: [
        {
          uid: '1.3.6.1.4.1.5962.1.1.1.1.1.20040826185059.5457',
          sopClass: { system: 'urn:ietf:rfc:3986', code: 'urn:oid:1.2.840.10008.5.1.4.1.1.2' },
          number: 1,
        },
      ],
    },
  ],
};

describe('mapImagingStudy', () => {
  it('maps one CT instance read from four transfer syntaxes to one study, one series, one instance', () => {
    const study = mapImagingStudy(ctInstances, FACILITY, PATIENT);
    expect(study).toEqual(CT_STUDY);
    expect(validationErrors(study)).toEqual([]);
  });

  it('gives the same study whatever the arrival order', () => {
    expect(mapImagingStudy([...ctInstances].reverse(), FACILITY, PATIENT)).toEqual(CT_STUDY);
  });

  it('adds the accession number as an ACSN identifier assigned by the facility; started uses the offset in the file, else Japan time', () => {
    const study = mapImagingStudy([enhancedCt], FACILITY, PATIENT);
    expect(study.identifier).toEqual([
      { system: 'urn:dicom:uid', value: 'urn:oid:1.3.6.1.4.1.5962.1.2.10.1166562673.14401' },
      {
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] },
        value: '0010',
        assigner: { reference: 'Organization/minato-clinic' },
      },
    ]);
    expect(study.started).toBe('2006-12-19T11:11:54.812-05:00');
    const { timezoneOffset: _offset, ...withoutOffset } = enhancedCt;
    expect(mapImagingStudy([withoutOffset], FACILITY, PATIENT).started).toBe('2006-12-19T11:11:54.812+09:00');
    expect(study.series?.[0]).toMatchObject({
      number: 3,
      instance: [{ sopClass: { code: 'urn:oid:1.2.840.10008.5.1.4.1.1.2.1' }, number: 1 }],
    });
    expect(validationErrors(study)).toEqual([]);
  });

  it('codes Body Part Examined in SNOMED CT and keeps the series description', () => {
    const study = mapImagingStudy([chestCr], FACILITY, PATIENT);
    expect(study.modality).toEqual([{ system: DCM, code: 'CR' }]);
    expect(study.series?.[0]).toMatchObject({
      bodySite: { system: 'http://snomed.info/sct', code: '51185008', display: 'Chest' },
      description: 'Chest PA PA',
    });
    expect(mapImagingStudy([{ ...chestCr, bodyPartExamined: 'ELBOWJOINT' }], FACILITY, PATIENT).series?.[0]?.bodySite).toEqual({ display: 'ELBOWJOINT' });
    expect(validationErrors(study)).toEqual([]);
  });

  it('merges into a study made from an HL7 OMI^Z23 message, keeping what it had', () => {
    const fromOrder: ImagingStudy = {
      resourceType: 'ImagingStudy',
      id: 'from-omi-z23',
      identifier: [
        { system: 'urn:dicom:uid', value: 'urn:oid:1.3.6.1.4.1.5962.1.2.1.20040826185059.5457' },
        { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] }, value: 'A-77' },
      ],
      status: 'registered',
      modality: [{ system: DCM, code: 'CT' }],
      subject: { reference: PATIENT },
      started: '2004-08-26T18:45:00+09:00',
      basedOn: [{ reference: 'ServiceRequest/order-1' }],
      procedureCode: [{ coding: [{ system: 'urn:oid:1.2.392.200119.4.1001', code: '1000000000000000' }] }],
    };
    const study = mapImagingStudy(ctInstances, FACILITY, PATIENT, fromOrder);
    expect(study).toMatchObject({
      id: 'from-omi-z23',
      status: 'available',
      started: '2004-08-26T18:45:00+09:00',
      basedOn: fromOrder.basedOn,
      procedureCode: fromOrder.procedureCode,
      identifier: fromOrder.identifier,
      modality: [{ system: DCM, code: 'CT' }],
      numberOfSeries: 1,
      numberOfInstances: 1,
      series: CT_STUDY.series,
      meta: { profile: [PROFILE] },
    });
    expect(validationErrors(study)).toEqual([]);
  });

  it('merges a later batch into an earlier one without duplicating series or instances', () => {
    const [instance] = ctInstances;
    const secondImage: DicomInstance = { ...instance, sopInstanceUid: `${instance.sopInstanceUid}.2`, instanceNumber: 2 };
    const scout: DicomInstance = { ...instance, seriesInstanceUid: `${instance.seriesInstanceUid}.9`, seriesNumber: 0, sopInstanceUid: `${instance.sopInstanceUid}.9`, modality: 'SR' };
    const firstBatch = mapImagingStudy([secondImage, instance], FACILITY, PATIENT);
    const merged = mapImagingStudy([instance, scout, secondImage], FACILITY, PATIENT, firstBatch);
    expect(merged).toEqual(mapImagingStudy([scout, instance, secondImage], FACILITY, PATIENT));
    expect(merged.numberOfSeries).toBe(2);
    expect(merged.numberOfInstances).toBe(3);
    expect(merged.series?.map((series) => [series.number, series.instance?.map((entry) => entry.number)])).toEqual([
      [0, [1]],
      [1, [1, 2]],
    ]);
    expect(merged.modality?.map((coding) => coding.code)).toEqual(['CT', 'SR']);
  });

  it('refuses instances of another study, and an existing study with another UID', () => {
    expect(() => mapImagingStudy([ctInstances[0], enhancedCt], FACILITY, PATIENT)).toThrow(
      expect.objectContaining({ reason: 'study-mismatch', message: expect.stringContaining('1.3.6.1.4.1.5962.1.2.10.1166562673.14401') }),
    );
    expect(() => mapImagingStudy([enhancedCt], FACILITY, PATIENT, CT_STUDY)).toThrow(DicomError);
    expect(() => mapImagingStudy([], FACILITY, PATIENT)).toThrow(expect.objectContaining({ reason: 'no-instances' }));
  });
});
