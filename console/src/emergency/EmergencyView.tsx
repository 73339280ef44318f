/**
 * 救急時閲覧 emergency view: the narrow emergency subset of one resident, opened by card number and only with
 * a stated reason, for an emergency team or a clinician of a facility that takes emergencies (a core hospital),
 * declaring emergency treatment (ETREAT). The screen says plainly that this is emergency access and that it is
 * recorded; the server decides who may declare it, and its refusal is said in the console's language.
 */
import { Alert, Badge, Button, Group, List, Stack, TextInput, Textarea, Title } from '@mantine/core';
import { FormEvent, useState } from 'react';
import { ApiError, graphql } from '../api/client';
import { displayName, PatientResource } from '../clinician/patients';
import { useT } from '../i18n';
import { TONE } from '../tones';

interface SummaryEntry {
  resourceType: string;
  id: string;
  code?: { text?: string; coding?: { display?: string }[] };
  medicationCodeableConcept?: { text?: string; coding?: { display?: string }[] };
}

function entryText(entry: SummaryEntry): string {
  const concept = entry.code ?? entry.medicationCodeableConcept;
  return concept?.text ?? concept?.coding?.find((c) => c.display)?.display ?? `${entry.resourceType}/${entry.id}`;
}

export function EmergencyView() {
  const t = useT();
  const [cardNumber, setCardNumber] = useState('');
  const [reason, setReason] = useState('');
  const [summary, setSummary] = useState<{ patient: PatientResource; entries: SummaryEntry[] } | undefined>();
  const [error, setError] = useState<string | undefined>();
  // Kept apart from other errors so that it is said again in the language the person switches to.
  const [refused, setRefused] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    setRefused(false);
    setSummary(undefined);
    try {
      const data = await graphql<{ emergencySummary: { patient: PatientResource; entries: SummaryEntry[] } }>(
        `query($card: String!, $reason: String!) { emergencySummary(cardNumber: $card, reason: $reason) { patient entries } }`,
        { card: cardNumber, reason: reason.trim() },
        'ETREAT'
      );
      setSummary(data.emergencySummary);
    } catch (err) {
      if (err instanceof ApiError && err.status === 403) setRefused(true);
      else setError((err as Error).message);
    }
  }

  return (
    <Stack component="section" aria-labelledby="emergency-title">
      <Group>
        <Title order={2} id="emergency-title">{t('emergencyView')}</Title>
        <Badge color="red" size="lg">{t('emergencyAccess')}</Badge>
      </Group>
      <Alert color="red" variant="outline" title={t('emergencyAccess')}>{t('emergencyNotice')}</Alert>
      <form onSubmit={submit}>
        <Stack maw={520}>
          <TextInput label={t('cardNumber')} required value={cardNumber} onChange={(e) => setCardNumber(e.currentTarget.value)} />
          <Textarea label={t('emergencyReason')} required value={reason} onChange={(e) => setReason(e.currentTarget.value)} />
          <Button type="submit" color="red" disabled={!reason.trim() || !cardNumber.trim()}>{t('emergencyOpen')}</Button>
        </Stack>
      </form>
      {refused && <Alert color={TONE.danger} variant="outline" title={t('error')} role="alert">{t('emergencyNotAllowedHere')}</Alert>}
      {error && <Alert color="red" title={t('error')} role="alert">{error}</Alert>}
      {summary && (
        <Stack data-testid="emergency-summary">
          <Title order={3}>{displayName(summary.patient)} {summary.patient.birthDate && `(${summary.patient.birthDate})`}</Title>
          {summary.entries.length === 0 ? (
            <Alert color="gray">{t('emptyRecord')}</Alert>
          ) : (
            <List>
              {summary.entries.map((entry) => (
                <List.Item key={`${entry.resourceType}/${entry.id}`}>{entry.resourceType}: {entryText(entry)}</List.Item>
              ))}
            </List>
          )}
        </Stack>
      )}
    </Stack>
  );
}
