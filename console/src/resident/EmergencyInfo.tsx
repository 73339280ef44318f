/** 救急時情報: contacts, allergies in the resident's words, family doctor and notes, as the emergency team sees them. */
import { Alert, Button, Group, NativeSelect, Stack, Textarea, TextInput, Title } from '@mantine/core';
import { FormEvent, useEffect, useState } from 'react';
import { fhir } from '../api/client';
import { useT } from '../i18n';
import { EmergencyInfoResource, updateEmergencyInfo } from './record';

const EXT = {
  contact: 'urn:tonet:extension:emergency-contact',
  allergy: 'urn:tonet:extension:allergy-note',
  familyDoctor: 'urn:tonet:extension:family-doctor',
  note: 'urn:tonet:extension:emergency-note',
};

interface Contact {
  name: string;
  relationship: string;
  phone: string;
}

function contactsOf(info?: EmergencyInfoResource): Contact[] {
  return (info?.extension ?? [])
    .filter((e) => e.url === EXT.contact)
    .map((e) => {
      const part = (name: string) => e.extension?.find((x) => x.url === name)?.valueString ?? '';
      return { name: part('name'), relationship: part('relationship'), phone: part('phone') };
    });
}

export function EmergencyInfo({ info, onSaved }: { info?: EmergencyInfoResource; onSaved: () => void }) {
  const t = useT();
  const values = (url: string) => (info?.extension ?? []).filter((e) => e.url === url);
  const [contact, setContact] = useState<Contact>(() => contactsOf(info)[0] ?? { name: '', relationship: '', phone: '' });
  const [allergies, setAllergies] = useState(() => values(EXT.allergy).map((e) => e.valueString).join('\n'));
  const [familyDoctor, setFamilyDoctor] = useState(() => values(EXT.familyDoctor)[0]?.valueReference?.reference ?? '');
  const [notes, setNotes] = useState(() => values(EXT.note)[0]?.valueString ?? '');
  const [facilities, setFacilities] = useState<{ value: string; label: string }[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    fhir<{ entry?: { resource?: { id: string; name?: string } }[] }>('Organization?_count=200&_sort=name').then(
      (bundle) => setFacilities((bundle.entry ?? []).flatMap((e) => (e.resource ? [{ value: `Organization/${e.resource.id}`, label: e.resource.name ?? e.resource.id }] : []))),
      (err: Error) => setError(err.message)
    );
  }, []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    setSaved(false);
    try {
      await updateEmergencyInfo({
        contacts: contact.name && contact.phone ? [{ name: contact.name, phone: contact.phone, ...(contact.relationship ? { relationship: contact.relationship } : {}) }] : [],
        allergies: allergies.split('\n').map((a) => a.trim()).filter(Boolean),
        ...(familyDoctor ? { familyDoctor } : {}),
        ...(notes.trim() ? { notes: notes.trim() } : {}),
      });
      setSaved(true);
      onSaved();
    } catch (err) {
      setError((err as Error).message);
    }
  }

  const set = (name: keyof Contact) => (e: { currentTarget: HTMLInputElement }) => setContact({ ...contact, [name]: e.currentTarget.value });
  return (
    <form onSubmit={submit} aria-labelledby="emergency-info-title">
      <Stack maw={640}>
        <Title order={3} id="emergency-info-title">{t('emergencyInfo')}</Title>
        <Group align="end">
          <TextInput label={t('contactName')} value={contact.name} onChange={set('name')} />
          <TextInput label={t('relationship')} value={contact.relationship} onChange={set('relationship')} />
          <TextInput label={t('phone')} type="tel" value={contact.phone} onChange={set('phone')} />
        </Group>
        <Textarea label={t('allergies')} description={t('onePerLine')} autosize minRows={2} value={allergies} onChange={(e) => setAllergies(e.currentTarget.value)} />
        <NativeSelect label={t('familyDoctor')} value={familyDoctor} onChange={(e) => setFamilyDoctor(e.currentTarget.value)} data={[{ value: '', label: '—' }, ...facilities]} />
        <Textarea label={t('notes')} value={notes} onChange={(e) => setNotes(e.currentTarget.value)} />
        <Button type="submit">{t('save')}</Button>
        {error && <Alert color="red" title={t('error')} role="alert">{error}</Alert>}
        {saved && <Alert color="teal" role="status">{t('saved')}</Alert>}
      </Stack>
    </form>
  );
}
