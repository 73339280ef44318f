/** 同意: each facility the resident's record is shared with, and revoking a facility's access. */
import { Alert, Badge, Button, Stack, Table, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useLanguage, useT } from '../i18n';
import { TONE } from '../tones';
import { ConsentResource, organizationNames, revokeConsent } from './record';

const facilityOf = (consent: ConsentResource) => consent.provision?.actor?.find((a) => a.reference?.reference?.startsWith('Organization/'))?.reference?.reference;

export function Consents({ consents, onRevoked }: { consents: ConsentResource[]; onRevoked: () => void }) {
  const t = useT();
  const language = useLanguage();
  const [names, setNames] = useState<Map<string, string>>(new Map());
  const [error, setError] = useState<string | undefined>();
  const facilityConsents = consents.filter(facilityOf);
  useEffect(() => {
    organizationNames(facilityConsents.map((c) => facilityOf(c) as string)).then(setNames, (err: Error) => setError(err.message));
  }, [consents]);
  const format = new Intl.DateTimeFormat(language === 'ja' ? 'ja-JP' : 'en-GB', { dateStyle: 'medium' });

  async function revoke(consent: ConsentResource) {
    const facility = names.get(facilityOf(consent) as string) ?? facilityOf(consent);
    if (!window.confirm(`${t('revokeConfirm')} ${facility}`)) return;
    try {
      await revokeConsent(consent.id);
      onRevoked();
    } catch (err) {
      setError((err as Error).message);
    }
  }

  return (
    <Stack>
      <Title order={3}>{t('consents')}</Title>
      <Text size="sm">{t('consentsHelp')}</Text>
      {error && <Alert color="red" title={t('error')} role="alert">{error}</Alert>}
      <Table aria-label={t('consents')} data-testid="consents">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('facility')}</Table.Th>
            <Table.Th>{t('date')}</Table.Th>
            <Table.Th>{t('consentStatus')}</Table.Th>
            <Table.Th><span className="visually-hidden">{t('revoke')}</span></Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {facilityConsents.map((consent) => (
            <Table.Tr key={consent.id}>
              <Table.Td>{names.get(facilityOf(consent) as string) ?? facilityOf(consent)}</Table.Td>
              <Table.Td>{consent.dateTime ? format.format(new Date(consent.dateTime)) : ''}</Table.Td>
              <Table.Td>{consent.status === 'active' ? <Badge color={TONE.ok}>{t('consentActive')}</Badge> : <Badge color={TONE.neutral}>{t('consentRevoked')}</Badge>}</Table.Td>
              <Table.Td>{consent.status === 'active' && <Button size="xs" color={TONE.danger} variant="outline" onClick={() => void revoke(consent)}>{t('revoke')}</Button>}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}
