/**
 * JSON Patch (RFC 6902) as the PATCH interaction applies it: the document is never changed in place, a
 * failed `test` is a failed precondition (422), and any other failure is a malformed patch (400).
 */
import { applyPatch, Operation } from 'fast-json-patch';
import { badRequest, unprocessable } from '../core/errors';

export function applyJsonPatch<T>(document: T, operations: unknown): T {
  if (!Array.isArray(operations)) throw badRequest('PATCH needs a JSON Patch document (an array of operations, application/json-patch+json)');
  try {
    return applyPatch(structuredClone(document), operations as Operation[], true, false).newDocument;
  } catch (err) {
    const message = (err as Error).message.split('\n')[0];
    if ((err as { name?: string }).name === 'TEST_OPERATION_FAILED') {
      throw unprocessable([{ severity: 'error', code: 'processing', diagnostics: `JSON Patch test failed: ${message}` }]);
    }
    throw badRequest(`Invalid JSON Patch: ${message}`);
  }
}
