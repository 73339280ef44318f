/**
 * The かかりつけ医カード as a credential. The card carries two things: its number (used to find the resident,
 * e.g. by an emergency team) and a card secret printed beside it (needed, with the birth date, to link a
 * facility). Neither is ever stored: the regional Patient holds a scrypt digest of the number as its
 * identifier (so the number can still be looked up) and a salted scrypt digest of the secret with the time it
 * was issued. Whoever may read the regional Patient therefore reads digests only, never the card.
 */
import { randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto';
import type { Extension, Identifier, Patient } from '@medplum/fhirtypes';

/** Patient.identifier system of the card number's digest (what is stored and searched). */
export const CARD_DIGEST_SYSTEM = 'urn:tonet:card-number-digest';
/** Patient.extension holding the card secret's digest (valueString) and when it was issued (nested). */
export const CARD_SECRET_EXTENSION = 'urn:tonet:extension:card-secret';

// Cost of one digest: about 10 ms of one core. The number's digest has a fixed salt (it must be searchable);
// 10^11 card numbers at that cost are beyond an attacker who somehow reads the stored digests.
const SCRYPT = { N: 2 ** 13, r: 8, p: 1 };
const NUMBER_SALT = 'tonet card number';
/** Letters and digits that cannot be misread on a printed card (no 0/O, 1/I/L). */
const SECRET_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const SECRET_LENGTH = 10;

function digest(value: string, salt: string): Promise<string> {
  return new Promise((resolve, reject) => scrypt(value, salt, 32, SCRYPT, (err, key) => (err ? reject(err) : resolve(key.toString('base64url')))));
}

/** The identifier a card number is stored and looked up as. */
export async function cardNumberIdentifier(cardNumber: string): Promise<Identifier> {
  return { system: CARD_DIGEST_SYSTEM, value: await digest(cardNumber, NUMBER_SALT) };
}

/** A new card secret, as printed on the card: 10 characters, about 50 bits. */
export function newCardSecret(): string {
  let secret = '';
  for (let i = 0; i < SECRET_LENGTH; i++) secret += SECRET_ALPHABET[randomInt(SECRET_ALPHABET.length)];
  return secret;
}

/** The extension recording a card secret's digest and issue time on the regional Patient. */
export async function cardSecretExtension(secret: string, issued = new Date()): Promise<Extension> {
  const salt = randomBytes(16).toString('base64url');
  return {
    url: CARD_SECRET_EXTENSION,
    extension: [
      { url: 'digest', valueString: `scrypt$${salt}$${await digest(normalise(secret), salt)}` },
      { url: 'issued', valueDateTime: issued.toISOString() },
    ],
  };
}

/** The Patient with its card secret replaced by a new one. */
export async function withCardSecret<T extends Patient>(patient: T, secret: string): Promise<T> {
  return { ...patient, extension: [...(patient.extension ?? []).filter((e) => e.url !== CARD_SECRET_EXTENSION), await cardSecretExtension(secret)] };
}

/** When the Patient's current card secret was issued, if it has one. */
export function cardSecretIssued(patient: Patient): Date | undefined {
  const issued = secretPart(patient, 'issued')?.valueDateTime;
  return issued ? new Date(issued) : undefined;
}

/** Does this secret match the card secret recorded on the Patient? Constant time in the secret. */
export async function cardSecretMatches(patient: Patient, secret: string): Promise<boolean> {
  const [scheme, salt, expected] = (secretPart(patient, 'digest')?.valueString ?? '').split('$');
  if (scheme !== 'scrypt' || !salt || !expected) return false;
  const actual = Buffer.from(await digest(normalise(secret), salt));
  const wanted = Buffer.from(expected);
  return actual.length === wanted.length && timingSafeEqual(actual, wanted);
}

function secretPart(patient: Patient, url: 'digest' | 'issued'): Extension | undefined {
  return patient.extension?.find((e) => e.url === CARD_SECRET_EXTENSION)?.extension?.find((e) => e.url === url);
}

/** Read off a card by a person: case and spaces or dashes do not matter. */
function normalise(secret: string): string {
  return secret.toUpperCase().replace(/[\s-]/g, '');
}
