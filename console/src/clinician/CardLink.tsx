/** カード連携 card linking at the desk: the card's number and printed secret, the facility's patient number and the birth date. */
import { Alert, Button, Group, PasswordInput, Stack, TextInput, Title } from '@mantine/core';
import { FormEvent, useState } from 'react';
import { useT } from '../i18n';
import { linkCard, regionalIdOf } from './patients';

export function CardLink({ onLinked }: { onLinked: (regionalId: string) => void }) {
  const t = useT();
  const [cardNumber, setCardNumber] = useState('');
  const [cardSecret, setCardSecret] = useState('');
  const [localId, setLocalId] = useState('');
  const [birthDate, setBirthDate] = useState('');
  const [error, setError] = useState<string | undefined>();

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    try {
      const patient = await linkCard({ cardNumber, cardSecret }, localId, birthDate);
      onLinked(regionalIdOf(patient));
    } catch (err) {
      setError((err as Error).message);
    }
  }

  return (
    <Stack component="section" aria-labelledby="card-link-title">
      <Title order={2} id="card-link-title">{t('cardLink')}</Title>
      <form onSubmit={submit}>
        <Group align="end">
          <TextInput label={t('cardNumber')} required value={cardNumber} onChange={(e) => setCardNumber(e.currentTarget.value)} />
          <PasswordInput label={t('cardSecret')} required value={cardSecret} onChange={(e) => setCardSecret(e.currentTarget.value)} />
          <TextInput label={t('facilityPatientId')} required value={localId} onChange={(e) => setLocalId(e.currentTarget.value)} />
          <TextInput label={t('birthDate')} type="date" required value={birthDate} onChange={(e) => setBirthDate(e.currentTarget.value)} />
          <Button type="submit">{t('link')}</Button>
        </Group>
      </form>
      {error && <Alert color="red" title={t('error')} role="alert">{error}</Alert>}
    </Stack>
  );
}
