/**
 * The route a request took, as a pattern fit for a metrics label: Fastify's route for most requests, and for
 * the FHIR catch-all the FHIR interaction's shape (`/fhir/Observation/{id}/_history/{vid}`). Ids, versions,
 * search values and unknown names never appear, so no patient data reaches a label and the number of
 * distinct labels stays bounded by the resource types and operations Tonet knows.
 */
export interface FhirNames {
  isResourceType(name: string): boolean;
  isOperation(name: string): boolean;
}

/** The longest FHIR path shape there is: Type/id/_history/vid (or Type/id/$op). */
const MAX_FHIR_SEGMENTS = 4;

export function routePattern(fastifyRoute: string | undefined, path: string, names: FhirNames): string {
  if (fastifyRoute === undefined) return 'unmatched';
  if (fastifyRoute !== '/fhir' && fastifyRoute !== '/fhir/*') return fastifyRoute;
  const segments = path.split('?')[0].replace(/^\/fhir\/?/, '').split('/').filter(Boolean);
  if (segments.length > MAX_FHIR_SEGMENTS) return '/fhir/{unknown}';
  const pattern = ['/fhir'];
  segments.forEach((segment, index) => {
    const previous = pattern[pattern.length - 1];
    if (segment.startsWith('$')) pattern.push(names.isOperation(segment.slice(1)) ? segment : '{operation}');
    else if (segment === '_history' || segment === '_search') pattern.push(segment);
    else if (index === 0) pattern.push(names.isResourceType(segment) ? segment : '{type}');
    else pattern.push(previous === '_history' ? '{vid}' : '{id}');
  });
  return pattern.join('/');
}
