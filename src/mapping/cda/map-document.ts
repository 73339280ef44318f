/** A CDA document → the mapper of its kind, by ClinicalDocument/code: a 退院時サマリー (LOINC 18842-5), else a 診療情報提供書 (which refuses any other code). */
import type { SendingFacility } from '../types';
import { LOINC_OID } from './code-systems';
import { mapCdaDischargeSummary } from './map-discharge-summary';
import { mapCdaReferral } from './map-referral';
import type { CdaDocumentResult } from './open-document';
import { attribute, child, parseXml } from './xml';

export function mapCdaDocument(xml: string, facility: SendingFacility): CdaDocumentResult {
  const parsed = parseXml(xml);
  const code = 'error' in parsed ? undefined : child(parsed.root, 'code');
  const isDischargeSummary = attribute(code, 'codeSystem') === LOINC_OID && attribute(code, 'code') === '18842-5';
  return isDischargeSummary ? mapCdaDischargeSummary(xml, facility) : mapCdaReferral(xml, facility);
}
