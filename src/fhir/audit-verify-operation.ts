/**
 * GET /fhir/$audit-verify: the network office checks the audit trail's hash chain from the console, the same
 * walk as `tonet audit verify` but on the running server (the CLI needs the server stopped on the embedded database).
 */
import type { Parameters } from '@medplum/fhirtypes';
import type { OperationHandler } from './router';
import type { VerifyResult } from '../audit/verify';
import { assertMayStart } from '../consent/interactions';

/** verifyChain: the walk over the server's own audit log (audit/verify.ts). */
export function auditVerifyOperation(verifyChain: () => Promise<VerifyResult>): OperationHandler {
  return {
    name: 'audit-verify',
    levels: ['system'],
    methods: ['GET', 'POST'],
    async handle({ ctx }) {
      assertMayStart(ctx, 'verify-audit-chain');
      const result = await verifyChain();
      const answer: Parameters = {
        resourceType: 'Parameters',
        parameter: [
          { name: 'ok', valueBoolean: result.ok },
          { name: 'checked', valueInteger: result.checked },
          ...(result.firstBadSeq ? [{ name: 'firstBadSeq', valueString: result.firstBadSeq }] : []),
          ...(result.reason ? [{ name: 'reason', valueString: result.reason }] : []),
        ],
      };
      return { status: 200, resource: answer };
    },
  };
}
