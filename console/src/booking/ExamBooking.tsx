/**
 * CT/MRI予約: a week of a core hospital's free scanner slots as a calendar; a slot is booked for the open
 * patient with the referral (紹介) as its ServiceRequest; the facility's bookings below show the hospital's answer.
 */
import { Alert, Button, Group, NativeSelect, Paper, SegmentedControl, SimpleGrid, Stack, Text, TextInput, Textarea, Title } from '@mantine/core';
import { FormEvent, useEffect, useState } from 'react';
import { FacilityBookings } from './FacilityBookings';
import { useLanguage, useT } from '../i18n';
import { Booking, bookExam, coreHospitals, FreeSlot, freeSlots, Hospital, Modality, MODALITIES, PROCEDURES, sameDay, weekOf } from './booking';

export function ExamBooking({ patientId }: { patientId: string }) {
  const t = useT();
  const language = useLanguage();
  const [hospitals, setHospitals] = useState<Hospital[]>([]);
  const [hospital, setHospital] = useState('');
  const [modality, setModality] = useState<Modality>('CT');
  const [weekStart, setWeekStart] = useState(() => weekOf(new Date())[0]);
  const [slots, setSlots] = useState<FreeSlot[] | undefined>();
  const [chosen, setChosen] = useState<FreeSlot | undefined>();
  const [procedure, setProcedure] = useState(PROCEDURES.CT[0].code);
  const [reason, setReason] = useState('');
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [done, setDone] = useState<Booking | undefined>();
  const [revision, setRevision] = useState(0);
  const days = weekOf(weekStart);
  const dayFormat = new Intl.DateTimeFormat(language === 'ja' ? 'ja-JP' : 'en-GB', { month: 'numeric', day: 'numeric', weekday: 'short' });
  const timeFormat = new Intl.DateTimeFormat(language === 'ja' ? 'ja-JP' : 'en-GB', { hour: '2-digit', minute: '2-digit' });
  const dateTimeFormat = new Intl.DateTimeFormat(language === 'ja' ? 'ja-JP' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });

  useEffect(() => {
    coreHospitals().then((list) => {
      setHospitals(list);
      setHospital((h) => h || list[0]?.reference || '');
    }, (err: Error) => setError(err.message));
  }, []);

  useEffect(() => {
    if (!hospital) return;
    let current = true;
    setSlots(undefined);
    const end = new Date(days[6].getFullYear(), days[6].getMonth(), days[6].getDate() + 1);
    freeSlots(hospital, modality, days[0], end).then((list) => current && setSlots(list), (err: Error) => current && setError(err.message));
    return () => {
      current = false;
    };
  }, [hospital, modality, weekStart.getTime(), revision]);

  function moveWeek(by: number) {
    setWeekStart(new Date(weekStart.getFullYear(), weekStart.getMonth(), weekStart.getDate() + 7 * by));
    setChosen(undefined);
  }

  async function book(e: FormEvent) {
    e.preventDefault();
    if (!chosen) return;
    setError(undefined);
    const picked = PROCEDURES[modality].find((p) => p.code === procedure) ?? PROCEDURES[modality][0];
    try {
      setDone(await bookExam(chosen.slotId, patientId, { procedureCode: picked.code, procedureDisplay: picked.display, reason: reason || undefined, note: note || undefined }));
      setChosen(undefined);
      setRevision((r) => r + 1);
    } catch (err) {
      setError((err as Error).message);
    }
  }

  return (
    <Stack component="section" aria-labelledby="booking-title">
      <Title order={2} id="booking-title">{t('examBooking')}</Title>
      <Group align="end">
        <NativeSelect label={t('hospital')} value={hospital} onChange={(e) => setHospital(e.currentTarget.value)} data={hospitals.map((h) => ({ value: h.reference, label: h.name }))} />
        <div>
          <Text size="sm" fw={500} id="modality-label">{t('modality')}</Text>
          <SegmentedControl aria-labelledby="modality-label" value={modality} onChange={(value) => { setModality(value as Modality); setProcedure(PROCEDURES[value as Modality][0].code); setChosen(undefined); }} data={MODALITIES.map((m) => ({ value: m, label: m === 'MR' ? 'MRI' : m }))} />
        </div>
        <Button variant="default" onClick={() => moveWeek(-1)}>← {t('previousWeek')}</Button>
        <Button variant="default" onClick={() => moveWeek(1)}>{t('nextWeek')} →</Button>
      </Group>
      {error && <Alert color="red" title={t('error')} role="alert">{error}</Alert>}
      {done && <Alert color="teal" role="status">{t('bookingSent')}: {dateTimeFormat.format(new Date(done.start))} {done.procedureDisplay}</Alert>}

      <SimpleGrid cols={7} spacing="xs" data-testid="slot-calendar" aria-label={t('freeSlots')} role="group">
        {days.map((day) => {
          const ofDay = (slots ?? []).filter((s) => sameDay(new Date(s.start), day));
          const dayId = `slots-${day.getTime()}`;
          return (
            <Paper key={day.toISOString()} withBorder p="xs" component="section" aria-labelledby={dayId} data-testid="slot-day">
              <Text fw={700} size="sm" mb="xs" id={dayId}>{dayFormat.format(day)}</Text>
              <Stack gap={4}>
                {slots === undefined && <Text size="xs" c="gray.7">{t('loading')}</Text>}
                {slots !== undefined && ofDay.length === 0 && <Text size="xs" c="gray.7">{t('noSlots')}</Text>}
                {ofDay.map((slot) => (
                  <Button key={slot.slotId} size="compact-sm" variant={chosen?.slotId === slot.slotId ? 'filled' : 'outline'} aria-pressed={chosen?.slotId === slot.slotId} onClick={() => setChosen(slot)}>
                    {timeFormat.format(new Date(slot.start))}
                  </Button>
                ))}
              </Stack>
            </Paper>
          );
        })}
      </SimpleGrid>

      {chosen && (
        <Paper withBorder p="md" component="form" onSubmit={book} aria-labelledby="referral-title">
          <Stack maw={560}>
            <Title order={3} id="referral-title">{t('referral')}: {dateTimeFormat.format(new Date(chosen.start))} {chosen.deviceName}</Title>
            <NativeSelect label={t('procedure')} value={procedure} onChange={(e) => setProcedure(e.currentTarget.value)} data={PROCEDURES[modality].map((p) => ({ value: p.code, label: p.display }))} />
            <TextInput label={t('referralReason')} required value={reason} onChange={(e) => setReason(e.currentTarget.value)} />
            <Textarea label={t('note')} value={note} onChange={(e) => setNote(e.currentTarget.value)} />
            <Button type="submit">{t('book')}</Button>
          </Stack>
        </Paper>
      )}

      <FacilityBookings revision={revision} />
    </Stack>
  );
}
