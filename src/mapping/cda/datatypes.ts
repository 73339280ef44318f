/**
 * HL7 v3 data types as used in CDA R2 (II, CD, TS, PN, AD, TEL) → FHIR R4 data types.
 * Each function takes one CDA element and returns undefined when the element is absent or carries a nullFlavor only.
 */
import type { Address, CodeableConcept, Coding, ContactPoint, HumanName, Identifier } from '@medplum/fhirtypes';
import { fhirDateTime, parseTimestamp } from '../common/time';
import { codeSystemUrl } from './code-systems';
import { attribute, children, descend, isElement, textContent, type XmlElement } from './xml';

export const NAME_REPRESENTATION_URL = 'http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation';

/** Text of narrative elements by their ID attribute, for `originalText/reference/@value="#id"`. */
export type NarrativeIndex = ReadonlyMap<string, string>;

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** II: root + extension is a value in the namespace `root`; a root alone is itself the identifier. */
export function identifierFromII(ii: XmlElement | undefined): Identifier | undefined {
  const root = attribute(ii, 'root');
  if (!root) return undefined;
  const extension = attribute(ii, 'extension');
  const rootUri = UUID_PATTERN.test(root) ? `urn:uuid:${root.toLowerCase()}` : `urn:oid:${root}`;
  // Japanese letters name who issued each patient id (紹介元 / 紹介先 / 地域); the assigner keeps that.
  const assigningAuthority = attribute(ii, 'assigningAuthorityName');
  return {
    ...(extension === undefined ? { system: 'urn:ietf:rfc:3986', value: rootUri } : { system: rootUri, value: extension }),
    ...(assigningAuthority ? { assigner: { display: assigningAuthority } } : {}),
  };
}

export function identifiersFromIIs(iis: XmlElement[]): Identifier[] {
  return iis.map(identifierFromII).filter((identifier): identifier is Identifier => identifier !== undefined);
}

export function codingFromCD(cd: XmlElement | undefined): Coding | undefined {
  const code = attribute(cd, 'code');
  if (!code) return undefined;
  const codeSystem = attribute(cd, 'codeSystem');
  return {
    ...(codeSystem ? { system: codeSystemUrl(codeSystem) } : {}),
    code,
    ...(attribute(cd, 'displayName') ? { display: attribute(cd, 'displayName') } : {}),
  };
}

/** CD/CE with its translations as further codings; originalText (or its narrative reference) as text. */
export function codeableConceptFromCD(cd: XmlElement | undefined, narrative: NarrativeIndex): CodeableConcept | undefined {
  if (!cd) return undefined;
  const codings = [cd, ...children(cd, 'translation')]
    .map(codingFromCD)
    .filter((coding): coding is Coding => coding !== undefined);
  const text = originalText(cd, narrative) ?? codings.find((coding) => coding.display)?.display;
  if (codings.length === 0 && !text) return undefined;
  return { ...(codings.length > 0 ? { coding: codings } : {}), ...(text ? { text } : {}) };
}

/** The text of an ED-like element (originalText, entry text): inline, or a `#id` reference into the narrative. */
export function originalText(element: XmlElement | undefined, narrative: NarrativeIndex): string | undefined {
  const holder = element?.name === 'originalText' || element?.name === 'text' ? element : descend(element, 'originalText');
  if (!holder) return undefined;
  const referenced = attribute(descend(holder, 'reference'), 'value');
  if (referenced?.startsWith('#')) return narrative.get(referenced.slice(1));
  const inline = holder.children.filter((node) => !isElement(node)).join('').replace(/\s+/g, ' ').trim();
  return inline === '' ? undefined : inline;
}

/** TS → FHIR date or dateTime, keeping the precision that was sent (Japan time when the zone is omitted). */
export function dateTimeFromTS(value: string | undefined): string | undefined {
  const parts = value ? parseTimestamp(value) : undefined;
  return parts && fhirDateTime(parts);
}

/** TS → FHIR instant, which needs at least seconds; a date alone is not an instant. */
export function instantFromTS(value: string | undefined): string | undefined {
  const dateTime = dateTimeFromTS(value);
  return dateTime?.includes('T') ? dateTime : undefined;
}

/** Date part only (birth dates are FHIR `date`). */
export function dateFromTS(value: string | undefined): string | undefined {
  return dateTimeFromTS(value)?.slice(0, 10);
}

const REPRESENTATIONS = ['IDE', 'SYL', 'ABC'] as const;

/**
 * PN → HumanName. Japanese documents send one name per representation: `use="IDE"` kanji, `use="SYL"` kana,
 * `use="ABC"` romaji; JP_HumanName carries that in the iso21090-EN-representation extension.
 */
export function humanNameFromPN(pn: XmlElement): HumanName | undefined {
  const family = joinedText(children(pn, 'family'));
  const given = children(pn, 'given').map(textContent).filter((part): part is string => part !== undefined);
  const prefix = children(pn, 'prefix').map(textContent).filter((part): part is string => part !== undefined);
  const suffix = children(pn, 'suffix').map(textContent).filter((part): part is string => part !== undefined);
  const text = family || given.length > 0 ? [family, ...given].filter(Boolean).join(' ') : textContent(pn);
  if (!text) return undefined;
  const uses = (attribute(pn, 'use') ?? '').split(/\s+/);
  const representation = REPRESENTATIONS.find((code) => uses.includes(code));
  return {
    ...(representation ? { extension: [{ url: NAME_REPRESENTATION_URL, valueCode: representation }] } : {}),
    use: 'usual',
    text,
    ...(family ? { family } : {}),
    ...(given.length > 0 ? { given } : {}),
    ...(prefix.length > 0 ? { prefix } : {}),
    ...(suffix.length > 0 ? { suffix } : {}),
  };
}

export function humanNamesFromPNs(pns: XmlElement[]): HumanName[] {
  return pns.map(humanNameFromPN).filter((name): name is HumanName => name !== undefined);
}

function joinedText(elements: XmlElement[]): string | undefined {
  const parts = elements.map(textContent).filter((part): part is string => part !== undefined);
  return parts.length > 0 ? parts.join(' ') : undefined;
}

const ADDRESS_USE: Readonly<Record<string, Address['use']>> = { H: 'home', HP: 'home', WP: 'work', TMP: 'temp' };

/** AD → Address. Japanese addresses are usually sent whole; the text keeps them in reading order. */
export function addressFromAD(ad: XmlElement): Address | undefined {
  const lines = children(ad, 'streetAddressLine').map(textContent).filter((line): line is string => line !== undefined);
  const state = textContent(descend(ad, 'state'));
  const city = textContent(descend(ad, 'city'));
  const postalCode = textContent(descend(ad, 'postalCode'));
  const country = textContent(descend(ad, 'country'));
  const looseText = ad.children.filter((node) => !isElement(node)).join('').replace(/\s+/g, ' ').trim();
  const text = [state, city, ...lines].filter(Boolean).join('') || looseText || undefined;
  if (!text && !postalCode) return undefined;
  const use = ADDRESS_USE[attribute(ad, 'use') ?? ''];
  return {
    ...(use ? { use } : {}),
    ...(text ? { text } : {}),
    ...(lines.length > 0 ? { line: lines } : {}),
    ...(city ? { city } : {}),
    ...(state ? { state } : {}),
    ...(postalCode ? { postalCode } : {}),
    ...(country ? { country } : {}),
  };
}

export function addressesFromADs(ads: XmlElement[]): Address[] {
  return ads.map(addressFromAD).filter((address): address is Address => address !== undefined);
}

const TELECOM_SYSTEM_BY_SCHEME: Readonly<Record<string, ContactPoint['system']>> = {
  tel: 'phone',
  fax: 'fax',
  mailto: 'email',
  http: 'url',
  https: 'url',
};
const TELECOM_USE: Readonly<Record<string, ContactPoint['use']>> = { H: 'home', HP: 'home', WP: 'work', MC: 'mobile', TMP: 'temp' };

/** TEL → ContactPoint; `tel:03-1234-5678` keeps the number as written. */
export function contactPointFromTEL(tel: XmlElement): ContactPoint | undefined {
  const url = attribute(tel, 'value');
  if (!url) return undefined;
  const colon = url.indexOf(':');
  const scheme = colon < 0 ? '' : url.slice(0, colon).toLowerCase();
  const system = TELECOM_SYSTEM_BY_SCHEME[scheme] ?? 'other';
  const value = system === 'url' || colon < 0 ? url : url.slice(colon + 1);
  const use = TELECOM_USE[attribute(tel, 'use') ?? ''];
  return { system, value, ...(use ? { use } : {}) };
}

export function contactPointsFromTELs(tels: XmlElement[]): ContactPoint[] {
  return tels.map(contactPointFromTEL).filter((contactPoint): contactPoint is ContactPoint => contactPoint !== undefined);
}
