/** The resident's exam bookings (Appointments naming them), with the hospital's answer. */
import { Badge, Stack, Table, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useLanguage, useT, Word } from '../i18n';
import { TONE } from '../tones';
import { AppointmentResource, myAppointments } from './record';

const STATUS_WORD: Record<string, Word> = { proposed: 'bookingProposed', booked: 'bookingBooked', cancelled: 'bookingCancelled' };

export function MyBookings({ patientId }: { patientId: string }) {
  const t = useT();
  const language = useLanguage();
  const [appointments, setAppointments] = useState<AppointmentResource[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    myAppointments(patientId).then(setAppointments, (err: Error) => setError(err.message));
  }, [patientId]);
  const format = new Intl.DateTimeFormat(language === 'ja' ? 'ja-JP' : 'en-GB', { dateStyle: 'full', timeStyle: 'short' });

  return (
    <Stack>
      <Title order={3}>{t('myBookings')}</Title>
      {error && <Text c="red.8">{error}</Text>}
      {appointments?.length === 0 && <Text c="gray.7">{t('noBookings')}</Text>}
      {!!appointments?.length && (
        <Table aria-label={t('myBookings')} data-testid="my-bookings">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('date')}</Table.Th>
              <Table.Th>{t('procedure')}</Table.Th>
              <Table.Th>{t('bookingState')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {appointments.map((a) => (
              <Table.Tr key={a.id}>
                <Table.Td>{a.start ? format.format(new Date(a.start)) : ''}</Table.Td>
                <Table.Td>{a.description}</Table.Td>
                <Table.Td><Badge color={a.status === 'booked' ? TONE.ok : a.status === 'cancelled' ? TONE.neutral : TONE.waiting}>{t(STATUS_WORD[a.status] ?? 'bookingProposed')}</Badge></Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
