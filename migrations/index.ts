/** Every schema change, in order. TypeORM runs the ones not yet recorded in `tonet_migrations`. */
import { InitialSchema1764000000000 } from './1764000000000-InitialSchema';
import { Inbox1764100000000 } from './1764100000000-Inbox';
import { Dicom1764200000000 } from './1764200000000-Dicom';
import { Consent1764300000000 } from './1764300000000-Consent';
import { Audit1764400000000 } from './1764400000000-Audit';
import { Pathway1764500000000 } from './1764500000000-Pathway';
import { Booking1764600000000 } from './1764600000000-Booking';
import { People1764700000000 } from './1764700000000-People';
import { DicomInstanceOwner1765100000000 } from './1765100000000-DicomInstanceOwner';
import { EmergencyDeclaration1765100000001 } from './1765100000001-EmergencyDeclaration';

export const migrations = [InitialSchema1764000000000, Inbox1764100000000, Dicom1764200000000, Consent1764300000000, Audit1764400000000, Pathway1764500000000, Booking1764600000000, People1764700000000, DicomInstanceOwner1765100000000, EmergencyDeclaration1765100000001];
