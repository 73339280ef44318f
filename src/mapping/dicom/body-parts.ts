/**
 * Body Part Examined (0018,0015) defined terms → SNOMED CT, after DICOM PS3.16 Annex L (CID 4031).
 * A term not listed is kept as display text, so no information is lost; adding a term is one line.
 */
import type { Coding } from '@medplum/fhirtypes';

const SNOMED = 'http://snomed.info/sct';

const SNOMED_BY_BODY_PART: Readonly<Record<string, { code: string; display: string }>> = {
  ABDOMEN: { code: '113345001', display: 'Abdomen' },
  BRAIN: { code: '12738006', display: 'Brain' },
  BREAST: { code: '76752008', display: 'Breast' },
  CHEST: { code: '51185008', display: 'Chest' },
  CSPINE: { code: '122494005', display: 'Cervical spine' },
  FOOT: { code: '56459004', display: 'Foot' },
  HAND: { code: '85562004', display: 'Hand' },
  HEAD: { code: '69536005', display: 'Head' },
  HEART: { code: '80891009', display: 'Heart' },
  KIDNEY: { code: '64033007', display: 'Kidney' },
  KNEE: { code: '72696002', display: 'Knee' },
  LIVER: { code: '10200004', display: 'Liver' },
  LSPINE: { code: '122496007', display: 'Lumbar spine' },
  NECK: { code: '45048000', display: 'Neck' },
  PELVIS: { code: '12921003', display: 'Pelvis' },
  SHOULDER: { code: '16982005', display: 'Shoulder' },
  SPINE: { code: '421060004', display: 'Spine' },
  TSPINE: { code: '122495006', display: 'Thoracic spine' },
};

export function bodySiteCoding(bodyPartExamined: string): Coding {
  const known = SNOMED_BY_BODY_PART[bodyPartExamined.toUpperCase()];
  return known ? { system: SNOMED, ...known } : { display: bodyPartExamined };
}
