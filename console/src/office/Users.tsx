/**
 * 利用者: the people who log in — practitioners at their facilities and office staff — listed, created (the
 * first password shown once) and suspended or let in again. Residents register themselves, so they are listed only.
 */
import { Alert, Badge, Button, Code, Group, NativeSelect, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { FormEvent, useEffect, useState } from 'react';
import { isWord, useT, Word } from '../i18n';
import { TONE } from '../tones';
import { Account, accounts, createUser, facilities, Facility, NewUser, setAccountActive } from './directory';

const JOBS: [string, Word][] = [['doctor', 'doctor'], ['nurse', 'nurse'], ['clerk', 'clerk'], ['emergency', 'emergencyCrew']];
const STATUS_TONE: Record<string, string> = { active: TONE.ok, suspended: TONE.danger, offboarded: TONE.neutral };

export function Users() {
  const t = useT();
  const [people, setPeople] = useState<Account[] | undefined>();
  const [places, setPlaces] = useState<Facility[]>([]);
  const [draft, setDraft] = useState<NewUser>({ kind: 'practitioner', username: '', name: '', job: 'doctor' });
  const [created, setCreated] = useState<{ username: string; password: string } | undefined>();
  const [error, setError] = useState<string | undefined>();
  const facilityName = (reference: string) => places.find((f) => f.reference === reference)?.name ?? reference;
  const label = (value: string) => (isWord(value) ? t(value) : value);
  const jobLabel = (role: string) => label(JOBS.find(([job]) => job === role)?.[1] ?? role);

  async function load() {
    try {
      const [accountList, facilityList] = await Promise.all([accounts(), facilities()]);
      setPeople(accountList);
      setPlaces(facilityList);
      setDraft((current) => ({ ...current, facility: current.facility ?? facilityList[0]?.reference }));
    } catch (err) {
      setError((err as Error).message);
    }
  }
  useEffect(() => void load(), []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    setCreated(undefined);
    try {
      const { account, password } = await createUser(draft);
      setCreated({ username: account.username, password });
      setDraft({ ...draft, username: '', name: '' });
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  }

  async function toggle(account: Account) {
    setError(undefined);
    try {
      await setAccountActive(account.id, account.status !== 'active');
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  }

  return (
    <Stack component="section" aria-labelledby="users-title">
      <Title order={2} id="users-title">{t('users')}</Title>
      {error && <Alert color="red" title={t('error')} role="alert">{error}</Alert>}
      <form onSubmit={submit} aria-labelledby="new-user-title">
        <Stack maw={640}>
          <Title order={3} id="new-user-title">{t('newUser')}</Title>
          <Group grow>
            <NativeSelect label={t('kind')} value={draft.kind} onChange={(e) => setDraft({ ...draft, kind: e.currentTarget.value as NewUser['kind'] })} data={[{ value: 'practitioner', label: t('practitioner') }, { value: 'office', label: t('office') }]} />
            <TextInput label={t('personName')} required value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.currentTarget.value })} />
            <TextInput label={t('username')} required value={draft.username} onChange={(e) => setDraft({ ...draft, username: e.currentTarget.value })} />
          </Group>
          {draft.kind === 'practitioner' && (
            <Group grow>
              <NativeSelect label={t('facility')} value={draft.facility ?? ''} onChange={(e) => setDraft({ ...draft, facility: e.currentTarget.value })} data={places.map((f) => ({ value: f.reference, label: f.name }))} />
              <NativeSelect label={t('job')} value={draft.job} onChange={(e) => setDraft({ ...draft, job: e.currentTarget.value })} data={JOBS.map(([value, word]) => ({ value, label: t(word) }))} />
            </Group>
          )}
          <Group><Button type="submit">{t('createUser')}</Button></Group>
        </Stack>
      </form>
      {created && (
        <Alert color={TONE.ok} variant="outline" role="status" title={created.username} data-testid="user-created">
          {t('userCreated')}: <Code>{created.password}</Code>
        </Alert>
      )}
      {!people && <Text>{t('loading')}</Text>}
      {people && (
        <Table aria-label={t('users')} data-testid="users">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('username')}</Table.Th>
              <Table.Th>{t('personName')}</Table.Th>
              <Table.Th>{t('kind')}</Table.Th>
              <Table.Th>{t('facility')}</Table.Th>
              <Table.Th>{t('status')}</Table.Th>
              <Table.Th><span className="visually-hidden">{t('suspend')}</span></Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {people.map((person) => (
              <Table.Tr key={person.id} data-username={person.username}>
                <Table.Td>{person.username}</Table.Td>
                <Table.Td>{person.name}</Table.Td>
                <Table.Td>{label(person.kind)}</Table.Td>
                <Table.Td>{(person.facilities ?? []).map((f) => `${facilityName(f.organization)}（${jobLabel(f.role)}）`).join('、')}</Table.Td>
                <Table.Td><Badge color={STATUS_TONE[person.status] ?? TONE.neutral}>{label(person.status)}</Badge></Table.Td>
                <Table.Td>
                  {person.status !== 'offboarded' && (
                    <Button size="xs" variant="outline" aria-label={`${person.status === 'active' ? t('suspend') : t('reactivate')} ${person.username}`} onClick={() => void toggle(person)}>
                      {person.status === 'active' ? t('suspend') : t('reactivate')}
                    </Button>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
