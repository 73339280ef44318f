/** The dialog a timeline entry opens in (a referral letter, an image study). */
import { Group, Modal } from '@mantine/core';
import type { ReactNode } from 'react';
import { useT } from '../i18n';

export function ViewerDialog({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }) {
  const t = useT();
  return (
    // Composed by hand so the dialog's heading row is no second <header> (banner landmark) beside the console's own.
    <Modal.Root opened onClose={onClose} size="xl">
      <Modal.Overlay />
      <Modal.Content>
        <Group justify="space-between" p="md">
          <Modal.Title>{title}</Modal.Title>
          <Modal.CloseButton aria-label={t('close')} />
        </Group>
        <Modal.Body>{children}</Modal.Body>
      </Modal.Content>
    </Modal.Root>
  );
}
