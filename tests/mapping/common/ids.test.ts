import { facilityPatientIdSystem, uuidV5 } from '../../../src/mapping/common/ids';

describe('uuidV5', () => {
  it('matches the RFC 9562 test vector (DNS namespace, www.example.com)', () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });
});

describe('facilityPatientIdSystem', () => {
  it('is the JP Core 医療機関の患者ID OID: .20.3.51 + "1" + the 10-digit 医療機関コード', () => {
    expect(facilityPatientIdSystem('1312345670')).toBe('urn:oid:1.2.392.100495.20.3.51.11312345670');
  });
});
