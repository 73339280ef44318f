/** 施設とクライアント: the region's facilities, each with the OAuth clients of its systems, and a client retired with one click. */
import { Alert, Badge, Button, Group, List, Stack, Table, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { isWord, useT } from '../i18n';
import { TONE } from '../tones';
import { Client, clients, deactivateClient, facilities, Facility } from './directory';

export function Facilities() {
  const t = useT();
  const [found, setFound] = useState<{ facilities: Facility[]; clients: Client[] } | undefined>();
  const [error, setError] = useState<string | undefined>();

  async function load() {
    try {
      const [facilityList, clientList] = await Promise.all([facilities(), clients()]);
      setFound({ facilities: facilityList, clients: clientList });
    } catch (err) {
      setError((err as Error).message);
    }
  }
  useEffect(() => void load(), []);

  async function deactivate(client: Client) {
    setError(undefined);
    try {
      await deactivateClient(client.client_id);
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  }

  return (
    <Stack component="section" aria-labelledby="facilities-title">
      <Title order={2} id="facilities-title">{t('facilitiesAndClients')}</Title>
      {error && <Alert color="red" title={t('error')} role="alert">{error}</Alert>}
      {!found && <Text>{t('loading')}</Text>}
      {found && (
        <Table aria-label={t('facilitiesAndClients')} data-testid="facilities">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('facilityName')}</Table.Th>
              <Table.Th>{t('institutionNumber')}</Table.Th>
              <Table.Th>{t('facilityType')}</Table.Th>
              <Table.Th>{t('clients')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {found.facilities.map((facility) => {
              const own = found.clients.filter((c) => c.organization === facility.reference);
              return (
                <Table.Tr key={facility.reference} data-facility={facility.reference}>
                  <Table.Td>{facility.name}</Table.Td>
                  <Table.Td>{facility.institutionNumber}</Table.Td>
                  <Table.Td>{facility.type && isWord(facility.type) ? t(facility.type) : facility.type}</Table.Td>
                  <Table.Td>
                    {own.length === 0 ? <Text size="sm" c="gray.7">{t('noClients')}</Text> : (
                      <List size="sm" listStyleType="none">
                        {own.map((client) => (
                          <List.Item key={client.client_id} data-client={client.client_id}>
                            <Group gap="xs">
                              <Text size="sm">{client.name} ({client.role})</Text>
                              <Badge color={client.active ? TONE.ok : TONE.neutral}>{client.active ? t('clientActive') : t('clientInactive')}</Badge>
                              {client.active && <Button size="compact-xs" variant="outline" color={TONE.danger} aria-label={`${t('deactivate')} ${client.name}`} onClick={() => void deactivate(client)}>{t('deactivate')}</Button>}
                            </Group>
                          </List.Item>
                        ))}
                      </List>
                    )}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
