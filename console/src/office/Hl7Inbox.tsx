/**
 * HL7受信箱: messages Tonet refused, each with the ACK's reasons (segment and field); opened to read the
 * message, corrected if needed, and replayed as its sending facility.
 */
import { Alert, Badge, Button, Code, Group, List, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useLanguage, useT } from '../i18n';
import { TONE } from '../tones';
import { inboxMessage, InboxIssue, InboxItem, issueLocation, rejectedMessages, replay, ReplayAnswer } from './office';

export function Hl7Inbox() {
  const t = useT();
  const language = useLanguage();
  const [items, setItems] = useState<InboxItem[] | undefined>();
  const [open, setOpen] = useState<(InboxItem & { message: string }) | undefined>();
  const [text, setText] = useState('');
  const [answer, setAnswer] = useState<ReplayAnswer | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [revision, setRevision] = useState(0);
  const format = new Intl.DateTimeFormat(language === 'ja' ? 'ja-JP' : 'en-GB', { dateStyle: 'medium', timeStyle: 'medium' });

  useEffect(() => {
    rejectedMessages().then(setItems, (err: Error) => setError(err.message));
  }, [revision]);

  async function show(id: string) {
    setAnswer(undefined);
    setError(undefined);
    try {
      const message = await inboxMessage(id);
      setOpen(message);
      setText(message.message.replace(/\r\n?/g, '\n').trimEnd());
    } catch (err) {
      setError((err as Error).message);
    }
  }

  async function send() {
    if (!open) return;
    const edited = text !== open.message.replace(/\r\n?/g, '\n').trimEnd();
    try {
      const result = await replay(open.id, edited ? text : undefined);
      setAnswer(result);
      if (result.ackCode === 'AA') {
        setOpen(undefined);
        setRevision((r) => r + 1);
      }
    } catch (err) {
      setError((err as Error).message);
    }
  }

  return (
    <Stack component="section" aria-labelledby="inbox-title">
      <Title order={2} id="inbox-title">{t('hl7Inbox')}</Title>
      <Text size="sm">{t('hl7InboxHelp')}</Text>
      {error && <Alert color="red" title={t('error')} role="alert">{error}</Alert>}
      {answer && (
        <Alert color={answer.ackCode === 'AA' ? TONE.ok : TONE.danger} variant="outline" role="status" title={`ACK ${answer.ackCode}`}>
          {answer.ackCode === 'AA' ? t('replayed') : <Issues issues={answer.issues ?? []} />}
        </Alert>
      )}
      {items?.length === 0 && <Text c="gray.7">{t('noRejected')}</Text>}
      {!!items?.length && (
        <Table aria-label={t('hl7Inbox')} data-testid="inbox">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('receivedAt')}</Table.Th>
              <Table.Th>{t('messageType')}</Table.Th>
              <Table.Th>{t('controlId')}</Table.Th>
              <Table.Th>{t('reasons')}</Table.Th>
              <Table.Th><span className="visually-hidden">{t('open')}</span></Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((item) => (
              <Table.Tr key={item.id}>
                <Table.Td>{format.format(new Date(item.receivedAt))}</Table.Td>
                <Table.Td>{item.messageType}</Table.Td>
                <Table.Td>{item.messageControlId}</Table.Td>
                <Table.Td><Issues issues={item.error ?? []} /></Table.Td>
                <Table.Td><Button size="xs" variant="outline" onClick={() => void show(item.id)} aria-label={`${t('open')} ${item.messageControlId ?? item.id}`}>{t('open')}</Button></Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {open && (
        <Stack component="section" aria-labelledby="inbox-detail-title" data-testid="inbox-detail">
          <Group>
            <Title order={3} id="inbox-detail-title">{t('message')} {open.messageControlId}</Title>
            <Badge color="red">{open.status}</Badge>
            {open.fileName && <Code>{open.fileName}</Code>}
          </Group>
          <Issues issues={open.error ?? []} />
          <Textarea label={t('messageText')} description={t('messageTextHelp')} autosize minRows={6} styles={{ input: { fontFamily: 'monospace' } }} value={text} onChange={(e) => setText(e.currentTarget.value)} />
          <Group>
            <Button onClick={() => void send()}>{t('replay')}</Button>
            <Button variant="default" onClick={() => setOpen(undefined)}>{t('close')}</Button>
          </Group>
        </Stack>
      )}
    </Stack>
  );
}

function Issues({ issues }: { issues: InboxIssue[] }) {
  return (
    <List size="sm">
      {issues.map((issue, i) => (
        <List.Item key={i}>
          {issueLocation(issue) && <Code mr="xs">{issueLocation(issue)}</Code>}
          {issue.message}
        </List.Item>
      ))}
    </List>
  );
}
