/**
 * The signed-in facility's bookings: those a clinic made, with the hospital's answer (確定待ち → 確定), and
 * those held in a hospital's slots, which the hospital confirms here.
 */
import { Alert, Badge, Button, Stack, Table, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { currentToken, signedInPerson } from '../auth/session';
import { useLanguage, useT, Word } from '../i18n';
import { TONE } from '../tones';
import { Booking, BookingState, confirmBooking, facilityBookings } from './booking';

const STATE_WORD: Record<BookingState, Word> = { proposed: 'bookingProposed', booked: 'bookingBooked', cancelled: 'bookingCancelled' };
const STATE_COLOR: Record<BookingState, string> = { proposed: TONE.waiting, booked: TONE.ok, cancelled: TONE.neutral };

export function FacilityBookings({ revision = 0 }: { revision?: number }) {
  const t = useT();
  const language = useLanguage();
  const facility = signedInPerson(currentToken() ?? '')?.organization;
  const [bookings, setBookings] = useState<Booking[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [reload, setReload] = useState(0);
  const format = new Intl.DateTimeFormat(language === 'ja' ? 'ja-JP' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });

  useEffect(() => {
    if (facility) facilityBookings(facility).then(setBookings, (err: Error) => setError(err.message));
  }, [facility, revision, reload]);

  async function confirm(appointmentId: string) {
    try {
      await confirmBooking(appointmentId);
      setReload((r) => r + 1);
    } catch (err) {
      setError((err as Error).message);
    }
  }

  return (
    <Stack component="section" aria-labelledby="bookings-title">
      <Title order={3} id="bookings-title">{t('bookings')}</Title>
      {error && <Alert color="red" title={t('error')} role="alert">{error}</Alert>}
      {bookings?.length === 0 && <Text c="gray.7">{t('noBookings')}</Text>}
      {!!bookings?.length && (
        <Table aria-label={t('bookings')} data-testid="bookings">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('date')}</Table.Th>
              <Table.Th>{t('procedure')}</Table.Th>
              <Table.Th>{t('bookingState')}</Table.Th>
              <Table.Th><span className="visually-hidden">{t('confirm')}</span></Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {bookings.map((b) => (
              <Table.Tr key={b.appointmentId}>
                <Table.Td>{format.format(new Date(b.start))}</Table.Td>
                <Table.Td>{b.procedureDisplay}</Table.Td>
                <Table.Td><Badge color={STATE_COLOR[b.state]}>{t(STATE_WORD[b.state])}</Badge></Table.Td>
                <Table.Td>{b.state === 'proposed' && b.hospital === facility && <Button size="xs" onClick={() => void confirm(b.appointmentId)}>{t('confirm')}</Button>}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
