/**
 * Patient/{id}/$everything: the Patient and every resource in its compartment, paged by keyset like any
 * search, with _since, _type and _count. Reads go through the same access predicate as search.
 */
import type { Bundle } from '@medplum/fhirtypes';
import { allResourceTypes, patientCompartmentParams } from '../core/definitions';
import { badRequest } from '../core/errors';
import { instantParam, OperationHandler, parseQuery, values } from './router';

export const everythingOperation: OperationHandler = {
  name: 'everything',
  levels: ['instance'],
  resourceTypes: ['Patient'],
  methods: ['GET', 'POST'],
  async handle({ ctx, repo, router, request, id }) {
    const patient = await repo.read(ctx, 'Patient', id as string);
    const compartmentTypes = allResourceTypes().filter((t) => t === 'Patient' || patientCompartmentParams(t).length > 0);
    const wanted = values(request.query._type).flatMap((t) => t.split(',')).filter(Boolean);
    const unknown = wanted.filter((t) => !compartmentTypes.includes(t));
    if (unknown.length) throw badRequest(`_type ${unknown.join(',')} is not in the Patient compartment`, ['_type']);
    const types = wanted.length ? wanted : compartmentTypes;
    const since = instantParam(values(request.query._since)[0], '_since');
    const query = { _count: request.query._count, _cursor: request.query._cursor, _total: request.query._total };
    const search = parseQuery('Patient', query);
    // The regional Patient's everything includes the allowed data of every local record linked to it.
    const page = await repo.search(ctx, { ...search, resourceType: 'Patient', filters: [], sortRules: [] }, types, { patientId: patient.id as string, since });
    const bundle: Bundle = router.searchBundle(search, page, `Patient/${id}/$everything`, request.query);
    return { status: 200, resource: bundle };
  },
};
