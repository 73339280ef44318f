/**
 * 患者検索 patient search: by the facility's patient number, or name with birth date. A card number is not
 * searchable (Tonet keeps only its digest): the card is shown at the desk and linked below.
 */
import { Alert, Button, Group, Stack, Table, TextInput, Title } from '@mantine/core';
import { FormEvent, useState } from 'react';
import { useT } from '../i18n';
import { cardNumberOf, displayName, PatientQuery, PatientResource, regionalIdOf, searchPatients } from './patients';

/** `onOpen` opens a patient's record; without it (the desk) the rows only list who was found. */
export function PatientSearch({ onOpen }: { onOpen?: (regionalId: string) => void }) {
  const t = useT();
  const [query, setQuery] = useState<PatientQuery>({});
  const [results, setResults] = useState<PatientResource[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const set = (field: keyof PatientQuery) => (e: { currentTarget: HTMLInputElement }) => setQuery({ ...query, [field]: e.currentTarget.value });

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    try {
      setResults(await searchPatients(query));
    } catch (err) {
      setError((err as Error).message);
    }
  }

  return (
    <Stack component="section" aria-labelledby="patient-search-title">
      <Title order={2} id="patient-search-title">{t('patientSearch')}</Title>
      <form onSubmit={submit}>
        <Group align="end">
          <TextInput label={t('facilityPatientId')} value={query.facilityPatientId ?? ''} onChange={set('facilityPatientId')} />
          <TextInput label={t('name')} value={query.name ?? ''} onChange={set('name')} />
          <TextInput label={t('birthDate')} type="date" value={query.birthDate ?? ''} onChange={set('birthDate')} />
          <Button type="submit">{t('search')}</Button>
        </Group>
      </form>
      {error && <Alert color="red" title={t('error')} role="alert">{error}</Alert>}
      {results && results.length === 0 && <Alert color="gray" role="status">{t('noPatients')}</Alert>}
      {results && results.length > 0 && (
        <Table striped aria-label={t('patientSearch')}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('patient')}</Table.Th>
              <Table.Th>{t('birthDate')}</Table.Th>
              <Table.Th>{t('cardNumber')}</Table.Th>
              {onOpen && <Table.Th><span className="visually-hidden">{t('open')}</span></Table.Th>}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {results.map((patient) => (
              <Table.Tr key={patient.id}>
                <Table.Td>{displayName(patient)}</Table.Td>
                <Table.Td>{patient.birthDate}</Table.Td>
                <Table.Td>{cardNumberOf(patient)}</Table.Td>
                {onOpen && <Table.Td><Button size="xs" variant="light" onClick={() => onOpen(regionalIdOf(patient))}>{t('open')}</Button></Table.Td>}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
