import { token } from '../../src/pathway/rules';

const JLAC10 = 'http://medis.or.jp/CodeSystem/master-JLAC10-17digits';

test('a JLAC10 code means its test whatever the laboratory method: HbA1c NGSP under any method digits is one token', () => {
  const methods = ['3D046000001906202', '3D046000001920402', '3D046000001999902'].map((code) => token({ system: JLAC10, code }));
  expect(new Set(methods).size).toBe(1);
  // Analyte, identification, material and result digits still tell tests apart: old JDS HbA1c, plasma, another result.
  for (const other of ['3D045000001920402', '3D046000002220402', '3D046000001920401']) {
    expect(token({ system: JLAC10, code: other })).not.toBe(methods[0]);
  }
  // Other systems and malformed codes match exactly.
  expect(token({ system: 'http://loinc.org', code: '4548-4' })).toBe('http://loinc.org|4548-4');
  expect(token({ system: JLAC10, code: '3D046' })).toBe(`${JLAC10}|3D046`);
});
