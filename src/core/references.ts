/**
 * FHIR references as Tonet reads them. A reference to a resource on this server is relative, `Type/id`
 * (optionally `/_history/version`); an absolute URL names a resource on some server, this one only when it
 * starts with this server's FHIR base, and is stored relative (`withLocalReferences`), as HAPI does, so that
 * every later reader meets one form.
 */

const LOCAL_REFERENCE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/([A-Za-z0-9\-.]{1,64}))?$/;

export interface LocalReference {
  type: string;
  id: string;
  version?: string;
}

/** `Type/id` or `Type/id/_history/v`, as written; anything else (absolute, `urn:`, `#contained`) is not local. */
export function parseLocalReference(reference: string): LocalReference | undefined {
  const m = LOCAL_REFERENCE.exec(reference);
  return m ? { type: m[1], id: m[2], ...(m[3] ? { version: m[3] } : {}) } : undefined;
}

/**
 * The resource with every `reference` that is an absolute URL below `fhirBase` made relative. Other servers'
 * URLs stay as written: they name nobody here.
 */
export function withLocalReferences<T>(resource: T, fhirBase: string | undefined): T {
  if (!fhirBase) return resource;
  const prefix = `${fhirBase}/`;
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) {
      let changed = false;
      const next = value.map((v) => {
        const w = rewrite(v);
        if (w !== v) changed = true;
        return w;
      });
      return changed ? next : value;
    }
    if (!value || typeof value !== 'object') return value;
    let copy: Record<string, unknown> | undefined;
    for (const [key, v] of Object.entries(value)) {
      const w = key === 'reference' && typeof v === 'string' && v.startsWith(prefix) && parseLocalReference(v.slice(prefix.length)) ? v.slice(prefix.length) : rewrite(v);
      if (w !== v) (copy ??= { ...(value as Record<string, unknown>) })[key] = w;
    }
    return copy ?? value;
  };
  return rewrite(resource) as T;
}
