import type { DiagnosticReport, ImagingStudy, Observation, Procedure, ServiceRequest, Specimen } from '@medplum/fhirtypes';
import { mapHl7v2 } from '../../../src/mapping/hl7v2';
import { entryFor, FACILITY, mapSample, resourcesOf, sampleText, setField, withSegment, mappingIssues } from './helpers';

const JP = 'http://jpfhir.jp/fhir/core/StructureDefinition/';
const JLAC10 = 'http://medis.or.jp/CodeSystem/master-JLAC10-17digits';
const JP_OBSERVATION_CATEGORY = 'http://jpfhir.jp/fhir/core/CodeSystem/JP_SimpleObservationCategory_CS';
const MATERIAL = 'http://jpfhir.jp/fhir/core/CodeSystem/JP_ObservationSampleMaterialCode_CS';

describe('OML-01 (OML^O33 lab order)', () => {
  const result = mapSample('OML-01');
  const requests = resourcesOf<ServiceRequest>(result.bundle, 'ServiceRequest');

  test('SPM → Specimen per specimen, OBR → ServiceRequest per battery, OBX → requested-item ServiceRequests', () => {
    expect(result.dataType).toBe('OML-01');
    expect(mappingIssues(result)).toEqual([]);
    const specimens = resourcesOf<Specimen>(result.bundle, 'Specimen');
    expect(specimens.map((specimen) => [specimen.identifier?.[0].value, specimen.type?.text, specimen.type?.coding?.map((coding) => coding.system)])).toEqual([
      ['000000011000354:spm:1', '血清', [MATERIAL, 'urn:tonet:local:1312345670:99Z01']],
      ['000000011000354:spm:2', '血漿', [MATERIAL, 'urn:tonet:local:1312345670:99Z01']],
    ]);
    expect(specimens[0].collection?.collectedDateTime).toBe('2011-12-19T15:00:00+09:00');
    const batteries = requests.filter((request) => !request.basedOn);
    expect(batteries.map((request) => [request.identifier?.[0].value, request.code?.text, request.status])).toEqual([
      ['000000011000354:E002', '生化学的検査', 'active'],
      ['000000011000354:E001', '血液学的検査', 'active'],
    ]);
    expect(batteries[0].specimen).toEqual([{ reference: entryFor(result.bundle, specimens[0]).fullUrl }]);
    expect(batteries[0].requester?.display).toBe('医師 一郎');
    const items = requests.filter((request) => request.basedOn);
    expect(items.map((item) => item.code?.coding?.map((coding) => [coding.system, coding.code, coding.display]))[2]).toEqual([
      [JLAC10, '3B035000002327201', 'GOT(AST)'],
      ['urn:tonet:local:1312345670:99X03', '10207', 'GOT(AST)'],
    ]);
    expect(items).toHaveLength(7);
    expect(items[0].basedOn).toEqual([{ reference: entryFor(result.bundle, batteries[0]).fullUrl }]);
    expect(items[4].basedOn).toEqual([{ reference: entryFor(result.bundle, batteries[1]).fullUrl }]);
    // ＰＴ's JLAC10 code in the sample has 15 characters, so it is kept under the v2 name, not the 17-digit system.
    expect(items[4].code?.coding?.[0]).toEqual({ system: 'urn:tonet:v2-system:JC10', code: '2B0300000022311', display: 'ＰＴ' });
  });
});

describe('OML-11 (OUL^R22 lab result)', () => {
  const result = mapSample('OML-11');
  const observations = resourcesOf<Observation>(result.bundle, 'Observation');
  const [report] = resourcesOf<DiagnosticReport>(result.bundle, 'DiagnosticReport');

  test('OBX → JLAC10 Observations with quantities, reference ranges, status and time', () => {
    expect(result.dataType).toBe('OML-11');
    expect(mappingIssues(result)).toEqual([]);
    expect(observations.map((observation) => [observation.code.coding?.[0].system, observation.code.coding?.[0].code, observation.code.text])).toEqual([
      [JLAC10, '3A016000002327102', 'A/G比'],
      [JLAC10, '3A010000002327101', '総蛋白'],
      [JLAC10, '3A015000002327101', 'アルブミン'],
    ]);
    const [ratio, protein] = observations;
    expect(ratio.valueQuantity).toEqual({ value: 1.7 });
    expect(ratio.referenceRange).toEqual([{ low: { value: 1.2 }, high: { value: 2 }, text: '1.2-2.0' }]);
    const gdl = { unit: 'g/dl', system: 'http://unitsofmeasure.org', code: 'g/dL' };
    expect(protein.valueQuantity).toEqual({ value: 7.2, ...gdl });
    expect(protein.referenceRange).toEqual([{ low: { value: 6.7, ...gdl }, high: { value: 8.3, ...gdl }, text: '6.70-8.3' }]);
    expect(protein.status).toBe('final');
    expect(protein.effectiveDateTime).toBe('2011-12-19T15:00:00+09:00');
    expect(protein.meta?.profile).toEqual([`${JP}JP_Observation_LabResult`]);
    expect(protein.category).toEqual([{ coding: [{ system: JP_OBSERVATION_CATEGORY, code: 'laboratory' }] }]);
    expect(protein.identifier?.[0]).toEqual({ system: 'urn:tonet:observation:1312345670', value: '000000011000354:E001:3A010000002327101:1' });
  });

  test('OBR → DiagnosticReport referencing its results, specimen and order; SPM → Specimen; ORC → ServiceRequest', () => {
    const [specimen] = resourcesOf<Specimen>(result.bundle, 'Specimen');
    const [order] = resourcesOf<ServiceRequest>(result.bundle, 'ServiceRequest');
    expect(specimen.identifier?.[0].value).toBe('000000001219001:023');
    expect(specimen.type?.coding?.[0]).toEqual({ system: MATERIAL, code: '023', display: '血清' });
    expect(report.meta?.profile).toEqual([`${JP}JP_DiagnosticReport_LabResult`]);
    expect(report.status).toBe('final');
    expect(report.category).toEqual([{ coding: [{ system: 'http://loinc.org', code: 'LP29693-6', display: 'Laboratory' }] }]);
    expect(report.code.coding?.[0]).toEqual({ system: 'urn:tonet:local:1312345670:99O03', code: 'E001', display: '血液学的検査' });
    expect(report.effectiveDateTime).toBe('2011-12-19');
    expect(report.issued).toBe('2011-12-20T10:30:59+09:00');
    expect(report.result).toEqual(observations.map((observation) => ({ reference: entryFor(result.bundle, observation).fullUrl })));
    expect(report.specimen).toEqual([{ reference: entryFor(result.bundle, specimen).fullUrl }]);
    expect(report.basedOn).toEqual([{ reference: entryFor(result.bundle, order).fullUrl }]);
    expect(order.status).toBe('completed');
    // The order's key matches the OML-01 battery with the same number and OBR-4, so order and result meet.
    const orderMessage = resourcesOf<ServiceRequest>(mapSample('OML-01').bundle, 'ServiceRequest');
    expect(orderMessage.map((request) => request.identifier?.[0].value)).toContain(order.identifier?.[0].value);
  });

  test.each([
    ['<^5', { valueQuantity: { value: 5, comparator: '<' } }],
    ['>=^100', { valueQuantity: { value: 100, comparator: '>=' } }],
    ['^7.2', { valueQuantity: { value: 7.2 } }],
    ['^^+', { valueString: '+' }],
    ['^2^+', { valueString: '2+' }],
    ['^1^:^4', { valueString: '1:4' }],
    ['^10^-^20', { valueString: '10-20' }],
  ])('OBX-2 SN "%s" → a value the lab profile allows (Quantity or string, never Range/Ratio)', (sn, expected) => {
    const text = withSegment(sampleText('OML-11'), 'OBX', 1, (line) => setField(setField(line, 2, 'SN'), 5, sn));
    const result = mapHl7v2(text, FACILITY);
    expect(result.issues.filter((issue) => issue.severity === 'error')).toEqual([]);
    const [first] = resourcesOf<Observation>(result.bundle, 'Observation');
    const value = Object.fromEntries(Object.entries(first).filter(([name]) => name.startsWith('value')));
    expect(value).toEqual(expected);
  });

  test('SN ranges and ratios stay structured where the profile allows them (ECG, JP_Observation_Common)', () => {
    const ratio = mapHl7v2(withSegment(sampleText('OMG-13'), 'OBX', 2, (line) => setField(setField(line, 2, 'SN'), 5, '^1^:^4')), FACILITY);
    expect(resourcesOf<Observation>(ratio.bundle, 'Observation')[1].valueRatio).toEqual({ numerator: { value: 1 }, denominator: { value: 4 } });
    const range = mapHl7v2(withSegment(sampleText('OMG-13'), 'OBX', 2, (line) => setField(setField(line, 2, 'SN'), 5, '^60^-^70')), FACILITY);
    expect(resourcesOf<Observation>(range.bundle, 'Observation')[1].valueRange?.low?.value).toBe(60);
    const broken = mapHl7v2(withSegment(sampleText('OML-11'), 'OBX', 1, (line) => setField(setField(line, 2, 'SN'), 5, '^abc')), FACILITY);
    expect(broken.issues).toEqual([expect.objectContaining({ severity: 'error', code: '102', segment: 'OBX', field: 5 })]);
  });

  test('OBX-2 TM and DT keep their value: text in the lab profile', () => {
    const time = mapHl7v2(withSegment(sampleText('OML-11'), 'OBX', 1, (line) => setField(setField(line, 2, 'TM'), 5, '1430')), FACILITY);
    expect(resourcesOf<Observation>(time.bundle, 'Observation')[0].valueString).toBe('1430');
    const day = mapHl7v2(withSegment(sampleText('OML-11'), 'OBX', 1, (line) => setField(setField(line, 2, 'DT'), 5, '20111219')), FACILITY);
    expect(resourcesOf<Observation>(day.bundle, 'Observation')[0].valueString).toBe('2011-12-19');
  });

  test('several SPM groups under one specimen number → one Specimen each, typed by JLAC10 material, each result linked to its own', () => {
    const [msh, pid, pv1] = sampleText('OML-11').split('\r');
    const group = (n: number, material: string, battery: string, item: string) => [
      `SPM|${n}|000000001219001||${material}|||||||||||||201112191500`,
      `OBR|${n}|000000011000354|000000001219001|${battery}|||20111219`,
      'ORC|SC|000000011000354|000000001219001||CM',
      `OBX|1|NM|${item}||6.1|%^%^99XYZ|4.6-6.2||||F|||201112191500`,
    ];
    const text = [
      msh, pid, pv1,
      ...group(1, '019^全血^JC10', 'E010^HbA1c^99O03', '3D046000001906202^HbA1c^JC10'),
      ...group(2, '022^血漿^JC10', 'E011^血糖^99O03', '3D010000002227101^グルコース^JC10'),
      ...group(3, '023^血清^JC10', 'E001^生化学^99O03', '3A010000002327101^総蛋白^JC10'),
    ].join('\r');
    const result = mapHl7v2(text, FACILITY);
    expect(result.issues.filter((issue) => issue.severity === 'error')).toEqual([]);
    const specimens = resourcesOf<Specimen>(result.bundle, 'Specimen');
    expect(specimens.map((specimen) => specimen.type?.coding?.[0])).toEqual([
      { system: MATERIAL, code: '019', display: '全血' },
      { system: MATERIAL, code: '022', display: '血漿' },
      { system: MATERIAL, code: '023', display: '血清' },
    ]);
    const observations = resourcesOf<Observation>(result.bundle, 'Observation');
    expect(observations.map((observation) => observation.specimen?.reference)).toEqual(specimens.map((specimen) => entryFor(result.bundle, specimen).fullUrl));
    const reports = resourcesOf<DiagnosticReport>(result.bundle, 'DiagnosticReport');
    expect(reports.map((report) => report.specimen)).toEqual(specimens.map((specimen) => [{ reference: entryFor(result.bundle, specimen).fullUrl }]));
  });

  test('OBX-8 flags become interpretations; a non-numeric NM value is a 102 error at OBX-5', () => {
    const flagged = mapHl7v2(withSegment(sampleText('OML-11'), 'OBX', 2, (line) => setField(line, 8, 'H')), FACILITY);
    expect(resourcesOf<Observation>(flagged.bundle, 'Observation')[1].interpretation).toEqual([{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'H' }] }]);
    const garbled = mapHl7v2(withSegment(sampleText('OML-11'), 'OBX', 3, (line) => setField(line, 5, '4.9?')), FACILITY);
    expect(garbled.issues).toEqual([expect.objectContaining({ severity: 'error', code: '102', segment: 'OBX', segmentSequence: 3, field: 5 })]);
    expect(garbled.bundle.entry).toEqual([]);
  });
});

describe('OMG-01/02/03 (OMG^O19 radiology, endoscopy, physiology orders)', () => {
  test('OMG-01: NW and PA merge into one order; CH children are based on it', () => {
    const result = mapSample('OMG-01');
    expect(result.dataType).toBe('OMG-01');
    expect(mappingIssues(result)).toEqual([]);
    const requests = resourcesOf<ServiceRequest>(result.bundle, 'ServiceRequest');
    expect(requests.map((request) => [request.identifier?.[0].value, request.code?.coding?.[0].code, request.code?.text])).toEqual([
      ['000201101200100', '1000000000000000', 'Ｘ線単純撮影'],
      ['000201101200101', '10000002000102000000010000000000', '胸部.Ｘ線単純撮影.立位正面(A→P)'],
      ['000201101200102', '10000002000106000000010000000000', '胸部.Ｘ線単純撮影.立位側面(L→R)'],
      ['000201101200103', '10000002500102000000010000000000', '腹部.Ｘ線単純撮影.立位正面(A→P)'],
      ['000201101200104', '10000002500602000000010000000000', '腹部.Ｘ線単純撮影.左側臥位正面(A→P)'],
    ]);
    expect(requests[0].code?.coding?.[0].system).toBe('urn:tonet:v2-system:JJ1017');
    const parentUrl = entryFor(result.bundle, requests[0]).fullUrl;
    expect(requests.slice(1).every((request) => request.basedOn?.[0].reference === parentUrl)).toBe(true);
    expect(requests[0].priority).toBe('routine');
    const [weight] = resourcesOf<Observation>(result.bundle, 'Observation');
    expect([weight.code.text, weight.valueQuantity?.value, weight.valueQuantity?.unit]).toEqual(['体重', 62, 'kg']);
    expect(weight.basedOn).toEqual([{ reference: parentUrl }]);
    expect(weight.category).toEqual([{ coding: [{ system: JP_OBSERVATION_CATEGORY, code: 'imaging' }] }]);
  });

  test('OMG-02: endoscopy order with text OBX', () => {
    const result = mapSample('OMG-02');
    expect(result.dataType).toBe('OMG-02');
    const observations = resourcesOf<Observation>(result.bundle, 'Observation');
    expect(observations.map((observation) => observation.valueString ?? observation.valueCodeableConcept?.text)).toEqual([
      '重度',
      '12月19日強い上腹部痛を感じた。翌日になっても軽快しなかったため、来院。',
      '胃潰瘍の疑い',
      '臨床病名に対する精査',
    ]);
    expect(resourcesOf<ServiceRequest>(result.bundle, 'ServiceRequest')[0].code?.coding?.[0]).toEqual({ system: 'urn:tonet:v2-system:LENDO', code: '11000000000', display: '検査.上部.-.-.-.-' });
  });

  test('OMG-03: physiology order (JLAC10 9A110)', () => {
    const result = mapSample('OMG-03');
    expect(result.dataType).toBe('OMG-03');
    const [request] = resourcesOf<ServiceRequest>(result.bundle, 'ServiceRequest');
    expect(request.code?.text).toBe('標準１２誘導心電図');
    expect(request.priority).toBe('asap');
    expect(resourcesOf<Observation>(result.bundle, 'Observation')[0].valueString).toBe('心筋梗塞の疑い');
  });
});

describe('OMG-11/12 (OMI^Z23 performed) and OMG-13 (ORU^R01 physiology result)', () => {
  test('OMG-11: ImagingStudy keyed by Study Instance UID, Procedure per ZE1', () => {
    const result = mapSample('OMG-11');
    expect(result.dataType).toBe('OMG-11');
    expect(mappingIssues(result)).toEqual([]);
    const studies = resourcesOf<ImagingStudy>(result.bundle, 'ImagingStudy');
    expect(studies).toHaveLength(1);
    expect(studies[0].identifier?.[0]).toEqual({ system: 'urn:dicom:uid', value: 'urn:oid:1.2.392.1114.20045.43233.5.300001' });
    expect(studies[0].identifier?.[1].value).toBe('A201112200030001');
    expect(studies[0].modality).toEqual([{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'US' }]);
    expect(studies[0].meta?.profile).toEqual([`${JP}JP_ImagingStudy_Radiology`]);
    expect(entryFor(result.bundle, studies[0]).request?.url).toBe(`ImagingStudy?identifier=${encodeURIComponent('urn:dicom:uid')}|${encodeURIComponent('urn:oid:1.2.392.1114.20045.43233.5.300001')}`);
    const [procedure] = resourcesOf<Procedure>(result.bundle, 'Procedure');
    expect(procedure.code?.text).toBe('胎児.経皮的超音波検査');
    expect(procedure.performer?.[0].actor.display).toBe('助産師 愛子');
    expect(procedure.performedDateTime).toBe('2011-12-20');
    const child = resourcesOf<ServiceRequest>(result.bundle, 'ServiceRequest').find((request) => request.identifier?.[0].value === '2011122000301')!;
    expect(procedure.basedOn).toEqual([{ reference: entryFor(result.bundle, child).fullUrl }]);
  });

  test('OMG-11: every IPC-5 modality is kept, once, when the study holds several and its IPC repeats', () => {
    let text = sampleText('OMG-11');
    for (const sequence of [1, 2, 3]) {
      text = withSegment(text, 'IPC', sequence, (line) => setField(line, 5, 'CT^^DCM~SR^^DCM'));
    }
    const [study] = resourcesOf<ImagingStudy>(mapHl7v2(text, FACILITY).bundle, 'ImagingStudy');
    expect(study.modality).toEqual([
      { system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT' },
      { system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'SR' },
    ]);
  });

  test('OMG-12: endoscopy study, two performed items and their staff, drug and time observations', () => {
    const result = mapSample('OMG-12');
    expect(result.dataType).toBe('OMG-12');
    const [study] = resourcesOf<ImagingStudy>(result.bundle, 'ImagingStudy');
    expect(study.meta?.profile).toEqual([`${JP}JP_ImagingStudy_Endoscopy`]);
    expect(study.identifier?.[0].value).toBe('urn:oid:1.2.392.1114.2008.543233.1');
    const procedures = resourcesOf<Procedure>(result.bundle, 'Procedure');
    expect(procedures.map((procedure) => procedure.code?.text)).toEqual(['検査.上部.-.-.上部通常内視鏡.-', '検査.上部.食道.-.上部通常内視鏡.生検採取', '検査.上部.胃.-.上部通常内視鏡.生検採取']);
    const observations = resourcesOf<Observation>(result.bundle, 'Observation');
    const drug = observations.find((observation) => observation.valueCodeableConcept?.coding?.[0].code === '100555401')!;
    expect(drug.valueCodeableConcept?.coding?.[0]).toEqual({ system: 'http://medis.or.jp/CodeSystem/master-HOT9', code: '100555401', display: 'セルシン5mg' });
    expect(observations.find((observation) => observation.code.text === '開始時間')?.valueDateTime).toBe('2011-11-20T14:45:12+09:00');
    expect(observations.find((observation) => observation.code.text === '正従業員の実施医師')?.valueString).toBe('大江戸 信吉');
    expect(observations.find((observation) => observation.code.text === '内視鏡')?.valueCodeableConcept?.coding?.[0]).toEqual({ system: 'https://www.gs1.org/gtin', code: '4953170067938', display: 'GIF-XQ240' });
  });

  test('OMG-13: ECG report with TX findings and NM measurements; PID-7 empty is only a warning', () => {
    const result = mapSample('OMG-13');
    expect(result.dataType).toBe('OMG-13');
    expect(mappingIssues(result)).toEqual([expect.objectContaining({ severity: 'warning', code: '101', segment: 'PID', segmentSequence: 1, field: 7 })]);
    const [report] = resourcesOf<DiagnosticReport>(result.bundle, 'DiagnosticReport');
    expect(report.code.text).toBe('標準１２誘導心電図');
    expect(report.status).toBe('final');
    expect(report.result).toHaveLength(12);
    const observations = resourcesOf<Observation>(result.bundle, 'Observation');
    expect(observations[0].valueString).toBe('心筋虚血疑い');
    expect(observations.every((observation) => observation.category?.[0].coding?.[0].system === JP_OBSERVATION_CATEGORY && observation.category[0].coding[0].code === 'procedure')).toBe(true);
    expect(observations[0].code.coding?.[0].code).toBe('9A100&IMP');
    const heartRate = observations[1];
    expect([heartRate.code.text, heartRate.valueQuantity]).toEqual(['心拍数', { value: 67, unit: 'bpm', system: 'http://unitsofmeasure.org', code: '/min' }]);
    expect(observations.find((observation) => observation.code.coding?.[0].code === '32776')?.valueQuantity?.value).toBe(-14);
    expect(heartRate.effectiveDateTime).toBe('2011-12-20');
  });
});
