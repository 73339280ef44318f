/**
 * Writes a value into a FHIR resource at a dotted path ("dosageInstruction[0].timing.code", "category[]").
 * Empty values (undefined, '', [], {}) are skipped so that absent HL7 fields leave no empty FHIR elements behind.
 */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  if (isEmpty(value)) {
    return;
  }
  if (path === '') {
    for (const [name, member] of Object.entries(value as Record<string, unknown>)) {
      setPath(target, name, member);
    }
    return;
  }
  const steps = path.split('.');
  let node: Record<string, unknown> = target;
  steps.forEach((step, index) => {
    const last = index === steps.length - 1;
    const match = /^([A-Za-z]+)(?:\[(\d*)\])?$/.exec(step);
    if (!match) {
      throw new Error(`Bad FHIR path "${path}"`);
    }
    const [, name, position] = match;
    if (position === undefined) {
      if (last) {
        node[name] = value;
      } else {
        node[name] ??= {};
        node = node[name] as Record<string, unknown>;
      }
      return;
    }
    const list = (node[name] ??= []) as unknown[];
    if (position === '') {
      if (!last) {
        throw new Error(`Append "[]" only at the end of "${path}"`);
      }
      list.push(...(Array.isArray(value) ? value : [value]));
      return;
    }
    const at = Number(position);
    if (last) {
      list[at] = value;
    } else {
      list[at] ??= {};
      node = list[at] as Record<string, unknown>;
    }
  });
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === '') {
    return true;
  }
  if (Array.isArray(value)) {
    return value.length === 0;
  }
  return typeof value === 'object' && Object.keys(value).length === 0;
}
